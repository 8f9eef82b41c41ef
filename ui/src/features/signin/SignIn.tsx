// The sign-in form, shown when the server runs with --auth and a call came back 401.
import { useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import { errorMessage } from "../../api/errors";
import { signIn } from "../../api/session";

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const attempt = useMutation({
    mutationFn: () => signIn(username.trim(), password),
    onSuccess: () => {
      setPassword("");
      onSignedIn();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (username.trim() && password) attempt.mutate();
  };
  return (
    <section className="page sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p className="muted">This server requires a user. Ask an admin for an account.</p>
      <form onSubmit={submit} className="register-form">
        <label>
          Username
          <input
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {attempt.isError && (
          <p className="inline-error" role="alert">
            {errorMessage(attempt.error)}
          </p>
        )}
        <div className="row-actions">
          <button type="submit" disabled={!username.trim() || !password || attempt.isPending}>
            Sign in
          </button>
        </div>
      </form>
    </section>
  );
}
