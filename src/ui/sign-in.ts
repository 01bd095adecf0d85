import { h } from './dom.js';

/**
 * The sign-in form: a gateway token (a JWT from `kube-gateway token` or the identity provider). `message` explains why
 * the form is back (expired or refused token, signed out).
 */
export function signInView(message: string | null, onToken: (token: string) => void): HTMLElement {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
    'aria-describedby': 'token-help',
  });
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    message ? h('p', { role: 'alert', class: 'error', id: 'sign-in-message' }, message) : null,
    h('label', { for: 'token' }, 'Gateway token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'muted' },
      'Paste a token (',
      h('code', null, 'npm run token -- --sub you --open'),
      ' prints a link that signs you in). It is kept in this tab only.',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (token) onToken(token);
  });
  queueMicrotask(() => input.focus());
  return form;
}
