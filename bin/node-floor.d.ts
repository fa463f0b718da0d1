// Types of node-floor.js (plain JavaScript, so that an old Node can run it), for the tests that import it.

/** The oldest Node.js the published package runs on. */
export declare const PACKAGE_FLOOR: string;
/** The oldest Node.js a checkout (TypeScript run directly) runs on. */
export declare const SOURCE_FLOOR: string;
/** The oldest Node.js `npm test` runs on. */
export declare const TEST_FLOOR: string;
/** The one-line hint for a Node.js older than `floor`, or undefined when this one will do. */
export declare function nodeFloorProblem(floor?: string, version?: string, purpose?: string): string | undefined;
