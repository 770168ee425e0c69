// Drives Ordinaut's MCP server with the official TypeScript SDK (@modelcontextprotocol/sdk), over
// three transports: Streamable HTTP against a running `ordinaut-server serve`, stdio with
// `ordinaut-server mcp` hosting its own engine on a second data folder, and stdio forwarding to
// the running engine of the first data folder. Each one: the 18 tools with schemas and
// annotations, a task created and a bad one refused naming the field, a resource subscription
// that is notified, a run started, followed to success, read as a resource and announced as a
// log message. Run by tests/mcp/sdk-client.sh; exits non-zero on the first failed assertion.
//
// Usage: node sdk-client.mjs --modules DIR --server EXE --url URL --token TOKEN
//            --forward-dir DIR --forward-agent ID --hosted-dir DIR --hosted-agent ID
//        with ORDINAUT_FORWARD_SECRET and ORDINAUT_HOSTED_SECRET in the environment.
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
    options: {
        modules: { type: 'string' },
        server: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        'forward-dir': { type: 'string' },
        'forward-agent': { type: 'string' },
        'hosted-dir': { type: 'string' },
        'hosted-agent': { type: 'string' },
    },
});
for (const name of ['modules', 'server', 'url', 'token', 'forward-dir', 'forward-agent', 'hosted-dir',
    'hosted-agent']) {
    if (!args[name]) {
        console.error(`sdk-client.mjs: --${name} is missing`);
        process.exit(2);
    }
}
for (const name of ['ORDINAUT_FORWARD_SECRET', 'ORDINAUT_HOSTED_SECRET']) {
    if (!process.env[name]) {
        console.error(`sdk-client.mjs: ${name} is not set`);
        process.exit(2);
    }
}

// The SDK from the test tools' node_modules (one module system throughout, so the schemas the
// client checks notifications against are the ones given to setNotificationHandler).
const require = createRequire(path.join(path.resolve(args.modules), 'noop.js'));
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema } = require(
    '@modelcontextprotocol/sdk/types.js');

const EXPECTED_TOOLS = ['create_task', 'update_task', 'list_tasks', 'get_task', 'pause_task',
    'resume_task', 'delete_task', 'run_task_now', 'list_runs', 'get_run', 'cancel_run', 'retry_run',
    'preview_schedule', 'list_tools', 'validate_pipeline', 'publish_event', 'approve_run',
    'reject_run'];
const RUN_TIMEOUT_MS = 30000;
const NOTIFICATION_TIMEOUT_MS = 10000;

class Failure extends Error {}

function check(condition, message, detail) {
    if (!condition) {
        const shown = detail === undefined ? '' : `\n  got: ${JSON.stringify(detail).slice(0, 1500)}`;
        throw new Failure(`${message}${shown}`);
    }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Notifications of one kind as they come, and a way to wait for the first that matches.
class Inbox {
    constructor() {
        this.items = [];
        this.waiters = [];
    }

    push(item) {
        this.items.push(item);
        this.waiters = this.waiters.filter((waiter) => {
            if (!waiter.match(item))
                return true;
            clearTimeout(waiter.timer);
            waiter.resolve(item);
            return false;
        });
    }

    waitFor(match, what, timeoutMs = NOTIFICATION_TIMEOUT_MS) {
        const seen = this.items.find(match);
        if (seen)
            return Promise.resolve(seen);
        return new Promise((resolve, reject) => {
            const waiter = { match, resolve };
            waiter.timer = setTimeout(() => {
                this.waiters = this.waiters.filter((w) => w !== waiter);
                reject(new Failure(`no ${what} within ${timeoutMs} ms; received: `
                    + JSON.stringify(this.items).slice(0, 1500)));
            }, timeoutMs);
            this.waiters.push(waiter);
        });
    }
}

function textOf(result) {
    return (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

// A tool call that must succeed: its structured content.
async function call(client, name, toolArgs) {
    const result = await client.callTool({ name, arguments: toolArgs });
    check(result.isError === false, `${name} answered isError=${result.isError}: ${textOf(result)}`,
        toolArgs);
    check(result.structuredContent && typeof result.structuredContent === 'object',
        `${name} has no structuredContent`, result);
    return result.structuredContent;
}

async function exercise(label, transport, stderrLines, options = {}) {
    const started = Date.now();
    const client = new Client({ name: `ordinaut-sdk-test-${label}`, version: '1.0.0' });
    const updates = new Inbox();
    const logs = new Inbox();
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updates.push(n.params));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params));
    try {
        await client.connect(transport);
    } catch (error) {
        throw new Failure(`connect failed: ${error.message}\n  server stderr: ${stderrLines.join('\n')}`);
    }
    try {
        const capabilities = client.getServerCapabilities();
        check(capabilities?.tools && capabilities?.resources?.subscribe === true && capabilities?.logging,
            'the server does not announce tools, subscribable resources and logging', capabilities);

        // The 18 tools, each with an object input schema and annotations.
        const { tools } = await client.listTools();
        const byName = new Map(tools.map((tool) => [tool.name, tool]));
        for (const name of EXPECTED_TOOLS) {
            const tool = byName.get(name);
            check(tool, `tools/list lacks ${name}`, [...byName.keys()]);
            check(tool.inputSchema?.type === 'object', `${name}: inputSchema is not an object schema`,
                tool.inputSchema);
            check(tool.annotations && typeof tool.annotations === 'object', `${name}: no annotations`, tool);
            check(typeof tool.description === 'string' && tool.description.length > 0,
                `${name}: no description`, tool);
        }
        check(byName.get('get_run').annotations.readOnlyHint === true, 'get_run is not marked read-only',
            byName.get('get_run').annotations);
        check(byName.get('delete_task').annotations.destructiveHint === true,
            'delete_task is not marked destructive', byName.get('delete_task').annotations);

        // A pipeline step tool that needs no network.
        const stepTools = await call(client, 'list_tools', {});
        check(Array.isArray(stepTools.items) && stepTools.items.some((t) => t.name === 'debug.echo'),
            'list_tools does not offer the debug.echo step tool', stepTools);

        // A task with a two-step pipeline; the second step reads the first one's output.
        const marker = `${label}-${process.pid}-${Date.now()}`;
        const task = await call(client, 'create_task', {
            title: `MCP SDK ${label}`,
            schedule_kind: 'manual',
            payload: {
                pipeline: [
                    { id: 'greet', uses: 'debug.echo', with: { marker } },
                    { id: 'again', uses: 'debug.echo', with: { copied: '${steps.greet.marker}' } },
                ],
            },
        });
        check(typeof task.id === 'string' && task.id.length > 0, 'create_task returned no task id', task);
        check(task.status === 'active', `the created task is '${task.status}', not active`, task);
        if (options.visibleOverHttp)
            await options.visibleOverHttp(task.id);

        // Bad input: an error result (not a protocol error) that names the field.
        const bad = await client.callTool({
            name: 'create_task',
            arguments: { title: 42, schedule_kind: 'manual', payload: { pipeline: [] } },
        });
        check(bad.isError === true, 'create_task with a numeric title did not answer isError=true', bad);
        check(/\btitle\b/.test(textOf(bad)), 'the error for a numeric title does not name the field title',
            bad);

        // A subscription to the task: changing it is announced.
        const taskUri = `ordinaut://tasks/${task.id}`;
        await client.subscribeResource({ uri: taskUri });
        const updated = await call(client, 'update_task', { id: task.id, description: `changed by ${label}` });
        check(updated.description === `changed by ${label}`, 'update_task did not change the description',
            updated);
        await updates.waitFor((u) => u.uri === taskUri, `notifications/resources/updated for ${taskUri}`);

        // A run, followed until it succeeds.
        const queued = await call(client, 'run_task_now', { id: task.id });
        check(typeof queued.id === 'string' && queued.task_id === task.id,
            'run_task_now did not return a run of the task', queued);
        const runId = queued.id;
        let run = queued;
        const deadline = Date.now() + RUN_TIMEOUT_MS;
        while (run.status !== 'succeeded') {
            check(!['failed', 'timed_out', 'canceled', 'skipped', 'abandoned'].includes(run.status),
                `run ${runId} ended ${run.status}`, run);
            check(Date.now() < deadline, `run ${runId} did not succeed within ${RUN_TIMEOUT_MS} ms`, run);
            await sleep(100);
            run = await call(client, 'get_run', { id: runId });
        }
        check(JSON.stringify(run).includes(marker), 'the succeeded run does not carry the echoed marker',
            run);

        // The run as a resource.
        const runUri = `ordinaut://runs/${runId}`;
        const read = await client.readResource({ uri: runUri });
        check(Array.isArray(read.contents) && read.contents.length === 1 && read.contents[0].uri === runUri,
            `resources/read ${runUri} did not return one content for that URI`, read);
        let body;
        try {
            body = JSON.parse(read.contents[0].text);
        } catch (error) {
            throw new Failure(`resources/read ${runUri} is not JSON text: ${error.message}`);
        }
        check(body.id === runId && body.status === 'succeeded', `resource ${runUri} is not the succeeded run`,
            body);

        // The same run as an MCP task (2025-11-25 tasks), through the SDK's own task streaming:
        // created, polled with tasks/get, its result from tasks/result — which the SDK checks
        // against run_task_now's output schema.
        const kinds = [];
        let taskResult;
        let taskRunId;
        for await (const message of client.experimental.tasks.callToolStream(
            { name: 'run_task_now', arguments: { id: task.id } }, undefined, { task: { ttl: 60000 } })) {
            kinds.push(message.type);
            if (message.type === 'taskCreated')
                taskRunId = message.task.taskId;
            else if (message.type === 'result')
                taskResult = message.result;
            else if (message.type === 'error')
                throw new Failure(`run_task_now as an MCP task failed: ${message.error.message}`);
        }
        check(kinds[0] === 'taskCreated' && kinds.at(-1) === 'result',
            'run_task_now with task did not create a task and end with its result', kinds);
        check(taskResult.isError === false && taskResult.structuredContent?.id === taskRunId
            && taskResult.structuredContent?.status === 'succeeded',
            'the MCP task\'s result is not the succeeded run', taskResult);
        const listed = await client.experimental.tasks.listTasks();
        check(listed.tasks.some((t) => t.taskId === taskRunId && t.status === 'completed'),
            'tasks/list does not show the completed task', listed);

        // The finished run, announced as a log message to the task's agent.
        const log = await logs.waitFor((m) => m.logger === 'ordinaut.runs' && m.data?.run_id === runId,
            `notifications/message (logger ordinaut.runs) for run ${runId}`);
        check(log.level === 'info' && log.data.status === 'succeeded' && log.data.task_id === task.id,
            'the run log message is not an info about the succeeded run of the task', log);

        const ms = Date.now() - started;
        console.log(`${label}: ok — ${tools.length} tools, task ${task.id}, run ${runId} succeeded, `
            + `${updates.items.length} resource update(s), ${logs.items.length} log message(s), ${ms} ms`);
        return task.id;
    } finally {
        await client.close();
    }
}

function stdioTransport(dataDir, agentId, secret, stderrLines) {
    const transport = new StdioClientTransport({
        command: args.server,
        args: ['mcp', '--data-dir', dataDir],
        env: {
            ORDINAUT_AGENT_ID: agentId,
            ORDINAUT_AGENT_SECRET: secret,
            ORDINAUT_SECRET_STORE: process.env.ORDINAUT_SECRET_STORE ?? 'file',
        },
        stderr: 'pipe',
    });
    transport.stderr.setEncoding('utf8');
    transport.stderr.on('data', (chunk) => stderrLines.push(...chunk.split('\n').filter(Boolean)));
    return transport;
}

const results = [];
async function scenario(label, body) {
    try {
        await body();
        results.push([label, true]);
    } catch (error) {
        console.error(`${label}: FAILED — ${error instanceof Failure ? error.message : error.stack}`);
        results.push([label, false]);
    }
}

const authorization = { Authorization: `Bearer ${args.token}` };
const baseUrl = new URL(args.url);

await scenario('streamable-http', async () => {
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', baseUrl),
        { requestInit: { headers: authorization } });
    await exercise('streamable-http', transport, []);
});

await scenario('stdio-hosted', async () => {
    const stderrLines = [];
    const transport = stdioTransport(args['hosted-dir'], args['hosted-agent'],
        process.env.ORDINAUT_HOSTED_SECRET, stderrLines);
    await exercise('stdio-hosted', transport, stderrLines);
    check(stderrLines.some((line) => line.includes('hosting one for agent')),
        'ordinaut-server mcp on a folder with no running engine did not host one', stderrLines);
});

await scenario('stdio-forwarded', async () => {
    const stderrLines = [];
    const transport = stdioTransport(args['forward-dir'], args['forward-agent'],
        process.env.ORDINAUT_FORWARD_SECRET, stderrLines);
    // The task made through the forwarder is the running engine's: the REST API shows it.
    const visibleOverHttp = async (taskId) => {
        const response = await fetch(new URL(`/api/v1/tasks/${taskId}`, baseUrl), { headers: authorization });
        const body = await response.json().catch(() => null);
        check(response.status === 200 && body?.id === taskId,
            `task ${taskId} made over forwarded stdio is not visible at GET /api/v1/tasks/${taskId} `
                + `(HTTP ${response.status})`, body);
    };
    await exercise('stdio-forwarded', transport, stderrLines, { visibleOverHttp });
    check(stderrLines.some((line) => line.includes('forwarding to the Ordinaut engine')),
        'ordinaut-server mcp on the served folder did not forward to the running engine', stderrLines);
});

const failed = results.filter(([, ok]) => !ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
