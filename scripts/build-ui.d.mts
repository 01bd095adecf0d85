/** Types of scripts/build-ui.mjs, for the TypeScript that imports it (the dashboard's browser tests). */
export declare const DASHBOARD_SOURCE: string;
export declare const DASHBOARD_OUTPUT: string;
export declare function buildDashboard(opts?: { ifStale?: boolean }): Promise<boolean>;
