import { Api, type ApiError, type ConnectionState } from './api.js';
import type { AppContext, View } from './app-context.js';
import { clusterView } from './cluster-view.js';
import { h, mount } from './dom.js';
import { fleetView } from './fleet-view.js';
import { clearToken, storeToken, storedToken, takeTokenFromFragment, tokenExpiresAt } from './session.js';
import { signInView } from './sign-in.js';

/**
 * The dashboard shell: sign-in, the two pages (/ui/ the fleet, /ui/clusters/ID one cluster) routed with the History
 * API, the connection indicator and sign-out. Everything it shows comes from the gateway's GraphQL API.
 */
const main = document.getElementById('main')!;
const connection = document.getElementById('connection')!;
const signOutButton = document.getElementById('sign-out') as HTMLButtonElement;

const CONNECTION_WORDS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

let api: Api | undefined;
let view: View | undefined;
let expiryTimer: ReturnType<typeof setTimeout> | undefined;

function setConnection(state: ConnectionState | 'signed-out'): void {
  connection.dataset.state = state;
  connection.hidden = state === 'signed-out';
  connection.textContent = state === 'signed-out' ? '' : CONNECTION_WORDS[state];
}

function signOut(message: string | null): void {
  clearTimeout(expiryTimer);
  view?.dispose();
  view = undefined;
  api?.dispose();
  api = undefined;
  clearToken();
  signOutButton.hidden = true;
  setConnection('signed-out');
  document.title = 'Sign in · kube-gateway';
  mount(main, signInView(message, signIn));
}

function signIn(token: string): void {
  const expiresAt = tokenExpiresAt(token);
  if (expiresAt !== null && expiresAt <= Date.now()) return signOut('This token has expired. Sign in with a new one.');
  storeToken(token);
  signOutButton.hidden = false;
  api = new Api({
    token,
    onUnauthenticated: (err: ApiError) => {
      if (api) signOut(`The gateway refused the token: ${err.message} (${err.code}). Sign in again.`);
    },
    onConnection: setConnection,
  });
  // setTimeout's delay is a 32-bit number of milliseconds: a token living longer than ~24 days is left to the server.
  if (expiresAt !== null && expiresAt - Date.now() < 2 ** 31 - 1)
    expiryTimer = setTimeout(() => signOut('Your token has expired. Sign in again.'), expiresAt - Date.now());
  route();
}

const context = (): AppContext => ({
  api: api!,
  navigate,
  link(href, text, attrs = {}) {
    const a = h('a', { ...attrs, href }, text);
    a.addEventListener('click', (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // new tab and friends: the browser's
      e.preventDefault();
      navigate(href);
    });
    return a;
  },
});

function navigate(path: string): void {
  history.pushState(null, '', path);
  route();
}

function route(): void {
  if (!api) return;
  view?.dispose();
  const match = /^\/ui\/clusters\/([^/]+)\/?$/.exec(location.pathname);
  view = match ? clusterView(context(), decodeURIComponent(match[1]!)) : fleetView(context());
  if (!match) document.title = 'Fleet · kube-gateway';
  mount(main, view.element);
  main.focus({ preventScroll: true });
}

signOutButton.addEventListener('click', () => signOut('Signed out.'));
window.addEventListener('popstate', route);

const handedOver = takeTokenFromFragment();
const token = handedOver ?? storedToken();
if (token) signIn(token);
else signOut(null);
