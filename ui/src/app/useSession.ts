// Whether the app must show the sign-in form (a call came back 401) and whether a session
// cookie is there to sign out of.
import { useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { csrfToken, onUnauthenticated, signOut } from "../api/session";

export interface Session {
  needsSignIn: boolean;
  signedIn: boolean;
  signedInNow: () => void;
  signOut: () => void;
}

export function useSession(): Session {
  const client = useQueryClient();
  const [needsSignIn, setNeedsSignIn] = useState(false);
  const [signedIn, setSignedIn] = useState(() => csrfToken() !== null);
  useEffect(() => onUnauthenticated(() => setNeedsSignIn(true)), []);
  return {
    needsSignIn,
    signedIn,
    signedInNow: () => {
      setNeedsSignIn(false);
      setSignedIn(true);
      void client.invalidateQueries();
    },
    signOut: () => {
      void signOut().finally(() => {
        setSignedIn(false);
        client.clear();
        setNeedsSignIn(true);
      });
    },
  };
}
