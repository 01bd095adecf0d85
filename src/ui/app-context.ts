import type { Api } from './api.js';

/** What a view gets from the shell: the API client and in-page navigation. */
export interface AppContext {
  api: Api;
  navigate(path: string): void;
  /** A real link (keyboard, middle-click, copy address) that navigates within the page. */
  link(href: string, text: string, attrs?: Record<string, string>): HTMLAnchorElement;
}

/** A mounted page; dispose ends its subscriptions and timers. */
export interface View {
  element: HTMLElement;
  dispose(): void;
}
