// The registry feature's public face: its pages (for App) and the Register-model dialog
// (for the run page).
export { ModelsList } from "./ModelsList";
export { ModelPage } from "./ModelPage";
export { ModelVersionPage } from "./ModelVersionPage";
export { RegisterModelDialog, type RegisterModelDialogProps } from "./RegisterModelDialog";
