// Preloaded into tap's runner process only (scripts/test.sh). Every test process carries
// @tapjs/processinfo's module hook, which re-reads and measures the lines of every module the test
// loads (TypeBox alone is ~700) to record which files each test touched, for `tap --changed` and
// coverage: ~0.6 s of CPU per process, and the suite uses neither. Its only knob,
// _TAPJS_PROCESSINFO_EXCLUDE_, is overwritten by tap's runner at start, so this pins it to "every
// file" for the runner's children and, through their environment, their children.
const EXCLUDE_ALL = '/./';
const env = process.env;
env._TAPJS_PROCESSINFO_EXCLUDE_ = EXCLUDE_ALL;
process.env = new Proxy(env, {
  set(target, key, value) {
    target[key] = key === '_TAPJS_PROCESSINFO_EXCLUDE_' ? EXCLUDE_ALL : value;
    return true;
  },
});
