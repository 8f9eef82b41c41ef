export { ArtifactBrowser } from "./ArtifactBrowser";
