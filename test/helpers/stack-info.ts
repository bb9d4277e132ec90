/** Where the test infrastructure listens; provided by test/global-setup.ts to every test file. */
export interface StackInfo {
  kafkaBrokers: string;
  clickhouseUrl: string;
  /** How it was obtained, for the test log: configured, testcontainers or local processes. */
  origin: "configured" | "testcontainers" | "local";
}

declare module "vitest" {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}
