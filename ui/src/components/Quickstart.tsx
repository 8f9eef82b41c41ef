// What an empty store shows instead of a blank page.
import { CopyBlock } from "./CopyBlock";

const INSTALL = `pip install 'runstone[server]'
runstone server            # http://127.0.0.1:5000`;

const SCRIPT = `import runstone

runstone.set_tracking_uri("http://127.0.0.1:5000")
runstone.set_experiment("quickstart")
with runstone.start_run(run_name="first"):
    runstone.log_param("lr", 0.01)
    for step in range(10):
        runstone.log_metric("loss", 1.0 / (step + 1), step=step)`;

export function Quickstart({ title }: { title: string }) {
  return (
    <section className="quickstart" aria-label="Quickstart">
      <h2>{title}</h2>
      <p>Log a run from Python and it shows up here.</p>
      <CopyBlock label="Install and start the server" code={INSTALL} />
      <CopyBlock label="Log a run" code={SCRIPT} />
    </section>
  );
}
