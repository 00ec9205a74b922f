#!/usr/bin/env node
import { runBridge } from "../dist/bridge.js";

const workdir = process.argv.find((a) => a.startsWith("--workdir="))?.slice("--workdir=".length);
runBridge(process.stdin, process.stdout, workdir);
