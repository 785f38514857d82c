// A worker entry that does nothing, in plain JavaScript as the built CLI's workers are (a .ts one would start under
// tsx, whose loader thread is a worker of its own): for tests of what starting a worker does to its process.
