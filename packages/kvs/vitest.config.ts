import { defineConfig } from 'vitest/config';
import { nodeConfig } from '../../vitest.shared.ts';

export default defineConfig(nodeConfig());
