/**
 * asyncio-ts: Python's asyncio for TypeScript. An event loop you can hold,
 * tasks that really cancel, `gather`, timeouts, structured concurrency,
 * queues and locks, streams and subprocesses, and an executor on Workers.
 *
 * @example The book's quickstart
 * ```ts
 * import { run, sleep } from "./mod.ts";
 * await run(async () => {
 *   console.log("Hello!");
 *   await sleep(1);
 *   console.log("Goodbye!");
 * });
 * ```
 *
 * @module
 */

export * from "./src/errors.ts";
export { type Clock, MonotonicClock, VirtualClock } from "./src/clock.ts";
export { Handle, TimerHandle } from "./src/handles.ts";
export {
  EventLoop,
  type EventLoopOptions,
  type ExceptionContext,
  type ExceptionHandler,
  type LoopLogger,
} from "./src/loop.ts";
export { getEventLoop, getRunningLoop, newEventLoop, setEventLoop } from "./src/events.ts";
export { LoopBound } from "./src/_loop_bound.ts";
export { type DoneCallback, Future, type FutureState, isFuture } from "./src/futures.ts";
export {
  allTasks,
  type CoroutineArgs,
  type CoroutineFunction,
  createTask,
  currentTask,
  eagerTaskFactory,
  Task,
  type TaskConstructorOptions,
  type TaskFactory,
  type TaskOptions,
} from "./src/tasks.ts";
export { ensureFuture, type EnsureFutureOptions } from "./src/ensure_future.ts";
export { sleep } from "./src/sleep.ts";
export {
  gather,
  type GatherArgument,
  type GatherOptions,
  type GatherOutcomes,
  type GatherResults,
  type ResultOf,
} from "./src/gather.ts";
export {
  type MainCoroutine,
  run,
  Runner,
  type RunnerOptions,
  type RunOptions,
} from "./src/runners.ts";
export {
  Timeout,
  timeout,
  timeoutAt,
  type TimeoutBody,
  type TimeoutState,
} from "./src/timeouts.ts";
export {
  ALL_COMPLETED,
  AsCompleted,
  asCompleted,
  type AsCompletedOptions,
  type Awaitable,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type ReturnWhen,
  wait,
  waitFor,
  type WaitOptions,
} from "./src/wait.ts";
export { shield } from "./src/shield.ts";
export {
  type CallGraphOptions,
  captureCallGraph,
  formatCallGraph,
  formatTaskTree,
  type FrameCallGraphEntry,
  type FutureCallGraph,
  printCallGraph,
  printTaskTree,
} from "./src/graph.ts";
export { TaskGroup, taskGroup, type TaskGroupBody } from "./src/taskgroups.ts";
export {
  MapLimited,
  mapLimited,
  type MapLimitedOptions,
  type MapLimitedState,
} from "./src/map_limited.ts";
export { withSignal } from "./src/abort.ts";
export { type SignalName } from "./src/signals.ts";
export {
  BoundedSemaphore,
  Condition,
  Event,
  type EventState,
  Lock,
  type LockState,
  Releaser,
  Semaphore,
} from "./src/locks.ts";
export { Barrier, type BarrierState } from "./src/barrier.ts";
export {
  LifoQueue,
  PriorityQueue,
  type PriorityQueueOptions,
  Queue,
  type QueueState,
} from "./src/queues.ts";
export { toThread } from "./src/threads.ts";
export { WorkerPoolExecutor, type WorkerPoolExecutorOptions } from "./src/executor/pool.ts";
export { type FunctionExportName, moduleFunction, withOptions } from "./src/executor/functions.ts";
export { jobSignal, transferResult } from "./src/executor/worker_api.ts";
export type {
  AnyFunction,
  Executor,
  ExecutorJob,
  JobOptions,
  ModuleFunction,
  ShutdownOptions,
  TransferableObject,
} from "./src/executor/types.ts";
export { functionType } from "./src/executor/types.ts";
export type { BackendKind, ResourceLimits } from "./src/executor/backend.ts";
export {
  type BytesLike,
  DEFAULT_LIMIT,
  StreamReader,
  type StreamReaderOptions,
} from "./src/streams/reader.ts";
export { type StartTlsOptions, StreamWriter, type TlsOptions } from "./src/streams/writer.ts";
export {
  fromReadableStream,
  fromWritableStream,
  toReadableStream,
  toWritableStream,
} from "./src/streams/web.ts";
export {
  type ClientConnected,
  openConnection,
  type OpenConnectionOptions,
  openUnixConnection,
  Server,
  type ServerSocket,
  type SslOption,
  startServer,
  type StartServerOptions,
  startUnixServer,
  type StreamPair,
} from "./src/streams/connection.ts";
export {
  createSubprocessExec,
  createSubprocessShell,
  DEVNULL,
  type ExecArgs,
  PIPE,
  Process,
  type ProcessSignal,
  type StdioOption,
  STDOUT,
  type SubprocessOptions,
} from "./src/subprocess.ts";
