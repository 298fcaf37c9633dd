import { defineConfig } from 'vitest/config';
import { nodeConfig } from '../../vitest.shared';

export default defineConfig(nodeConfig());
