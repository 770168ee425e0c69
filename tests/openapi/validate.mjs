// Validates an OpenAPI document with @apidevtools/swagger-parser: the OpenAPI 3.1 JSON Schema,
// then every $ref dereferenced. Usage: node validate.mjs <modules dir> <openapi.json>
import { createRequire } from 'node:module';
import path from 'node:path';

const [modules, file] = process.argv.slice(2);
if (!modules || !file) {
    console.error('usage: node validate.mjs <node_modules dir> <openapi.json>');
    process.exit(2);
}
const require = createRequire(path.join(path.resolve(modules), 'noop.js'));
const SwaggerParser = require('@apidevtools/swagger-parser');

try {
    const api = await SwaggerParser.validate(file);
    const operations = Object.values(api.paths).reduce(
        (n, item) => n + Object.keys(item).filter((k) => k !== 'parameters').length, 0);
    console.log(`valid OpenAPI ${api.openapi}: ${Object.keys(api.paths).length} paths, ${operations} operations`);
} catch (error) {
    console.error(`invalid: ${error.message}`);
    process.exit(1);
}
