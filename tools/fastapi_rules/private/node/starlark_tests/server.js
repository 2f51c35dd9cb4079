// The entry point of the programs the analysis tests declare; never run.
