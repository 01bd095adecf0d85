import 'reflect-metadata';
import { afterAll } from 'vitest';
import { closeSharedSimulator } from './reachable.js';

afterAll(async () => {
  await closeSharedSimulator();
});
