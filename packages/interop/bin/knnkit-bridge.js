#!/usr/bin/env node
import { runBridge } from "../dist/bridge.js";

runBridge(process.stdin, process.stdout);
