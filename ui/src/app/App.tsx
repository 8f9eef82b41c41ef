// The app shell: header (nav, theme toggle) and the page of the current route.
import { ExperimentList } from "../features/experiments/ExperimentList";
import { ComparePage } from "../features/compare/ComparePage";
import { ModelPage, ModelVersionPage, ModelsList } from "../features/models";
import { RunPage } from "../features/run/RunPage";
import { RunsView } from "../features/runs/RunsView";
import { SignIn } from "../features/signin/SignIn";
import { useSession } from "./useSession";
import { Home } from "./Home";
import { openExperiments, type Route } from "../lib/route";
import { href, useRoute } from "../lib/router";
import { useTheme } from "../lib/theme";

export function App() {
  const route = useRoute();
  const [theme, toggleTheme] = useTheme();
  const session = useSession();
  const section = route.page.startsWith("model") ? "models" : "experiments";
  return (
    <div className="app">
      <header className="app-header">
        <a className="brand" href="#/">
          Runstone
        </a>
        <nav aria-label="Main">
          <a href="#/experiments" aria-current={section === "experiments" ? "page" : undefined}>
            Experiments
          </a>
          <a href={href({ page: "models" })} aria-current={section === "models" ? "page" : undefined}>
            Models
          </a>
        </nav>
        {session.signedIn && (
          <button type="button" className="theme-toggle" onClick={session.signOut}>
            Sign out
          </button>
        )}
        <button
          type="button"
          className="theme-toggle"
          onClick={toggleTheme}
          aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
          title="Toggle theme"
        >
          {theme === "dark" ? "☀ Light" : "☾ Dark"}
        </button>
      </header>
      <main className="app-main">
        {session.needsSignIn ? <SignIn onSignedIn={session.signedInNow} /> : <Page route={route} />}
      </main>
    </div>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "experiments":
      return (
        <div className="with-sidebar">
          <ExperimentList open={openExperiments(route)} view={route.view} />
          <div className="content">
            {route.experimentId === null ? (
              <Home />
            ) : (
              <RunsView
                key={route.experimentId}
                experimentIds={[route.experimentId]}
                view={route.view}
              />
            )}
          </div>
        </div>
      );
    case "experimentsRuns":
      return (
        <div className="with-sidebar">
          <ExperimentList open={route.experimentIds} view={route.view} />
          <div className="content">
            <RunsView
              key={route.experimentIds.join(",")}
              experimentIds={route.experimentIds}
              view={route.view}
            />
          </div>
        </div>
      );
    case "run":
      return <RunPage key={route.runId} experimentId={route.experimentId} runId={route.runId} />;
    case "models":
      return <ModelsList />;
    case "model":
      return <ModelPage name={route.name} />;
    case "modelVersion":
      return <ModelVersionPage name={route.name} version={route.version} />;
    case "compare":
      return (
        <ComparePage
          runIds={route.runIds}
          experimentIds={route.experimentIds}
          settings={route.settings}
        />
      );
    case "notFound":
      return (
        <section className="page">
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <a href="#/">Go to the experiments.</a>
          </p>
        </section>
      );
  }
}
