/** tokenledger's own version, as package.json has it (version.test.ts holds the two equal). */
export const TOKENLEDGER_VERSION = '0.1.0';
