// Drives @cloud-copilot/iam-simulate over the benchmark's requests in one batch.
//
// Usage: node iam_simulate_bench.mjs <peers-dir> <workload.json> <rounds> [cpu|wall]
// Prints one JSON object: {"rate": decisions/s (median round), "public_rate": decisions/s through
// runUnsafeSimulation, "decisions": [...]}. Policies are loaded (parsed) once per principal, outside
// the timed loop, the same way eksiam's benchmark parses once; each timed decision builds the request
// and context objects and calls the core `authorize`, i.e. evaluation only. The public entry point,
// which re-parses every policy on every call, is measured separately for reference.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const [, , peersDir, workloadPath, roundsArg, clockArg] = process.argv
const rounds = Number(roundsArg || '5')
// Seconds on the same clock as the Python side: process CPU time (user + system) or elapsed time.
const clock =
  clockArg === 'wall'
    ? () => Number(process.hrtime.bigint()) / 1e9
    : () => {
        const usage = process.cpuUsage()
        return (usage.user + usage.system) / 1e6
      }
const modules = path.join(peersDir, 'node_modules', '@cloud-copilot')
const dist = path.join(modules, 'iam-simulate', 'dist', 'esm')
const load = (...parts) => import(pathToFileURL(path.join(...parts)).href)

const { authorize } = await load(dist, 'core_engine', 'CoreSimulatorEngine.js')
const { AwsRequestImpl } = await load(dist, 'request', 'request.js')
const { RequestContextImpl } = await load(dist, 'requestContext.js')
const { DiscoveryContextKeyConstraints } = await load(dist, 'context_keys', 'discoveryContextKeyConstraints.js')
const { runUnsafeSimulation } = await load(dist, 'index.js')
const { loadPolicy } = await load(modules, 'iam-policy', 'dist', 'esm', 'index.js')

const workload = JSON.parse(readFileSync(workloadPath, 'utf8'))
const principals = workload.principals.map((p) => ({
  arn: p.arn,
  policies: p.policies.map((doc, i) => loadPolicy(doc, { name: `${p.arn}#${i}` }))
}))
const simulationParameters = {
  simulationMode: 'Strict',
  discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([])
}
const names = { Allowed: 'Allow', ExplicitlyDenied: 'ExplicitDeny', ImplicitlyDenied: 'ImplicitDeny' }

function decide(req) {
  const principal = principals[req.principal]
  const request = new AwsRequestImpl(
    principal.arn,
    { resource: req.resource, accountId: req.account },
    req.action,
    new RequestContextImpl(req.context)
  )
  return authorize({
    request,
    sessionPolicy: undefined,
    identityPolicies: principal.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters,
    serviceSettings: { s3: { blockPublicAccess: undefined } }
  }).result
}

const requests = workload.requests
const decisions = requests.map((req) => {
  const result = decide(req)
  return names[result] ?? String(result)
})
const times = []
for (let round = 0; round < rounds; round++) {
  const start = clock()
  for (const req of requests) decide(req)
  times.push(clock() - start)
}
times.sort((a, b) => a - b)
const median = times[Math.floor(times.length / 2)]

const sample = requests.slice(0, Math.min(requests.length, 100))
const start = clock()
for (const req of sample) {
  runUnsafeSimulation(
    {
      request: {
        principal: principals[req.principal].arn,
        action: req.action,
        resource: { resource: req.resource, accountId: req.account },
        contextVariables: req.context
      },
      identityPolicies: workload.principals[req.principal].policies.map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: []
    },
    {}
  )
}
const publicSeconds = clock() - start

process.stdout.write(
  JSON.stringify({ rate: requests.length / median, public_rate: sample.length / publicSeconds, decisions })
)
