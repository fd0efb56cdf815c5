/**
 * `TaskGroup`: structured concurrency. Tasks started in a group never
 * outlive the group's block.
 *
 * Design note. Python writes `async with asyncio.TaskGroup() as tg:`; the
 * exit of that block needs the error the body raised (to cancel the
 * children, to add it to the group's errors, or to swallow the group's own
 * cancellation). `await using` cannot see it, so the body is a callback:
 * `await taskGroup(async (tg) => { tg.createTask(...) })`, or
 * `new TaskGroup().run(body)` when the group must exist first. The body runs
 * in the calling task, which is the group's parent task.
 *
 * Rejected: `TaskGroup.run(body)` as a static method (two spellings of one
 * thing); an `await using` form (it would drop the body's error).
 *
 * @module
 */

import { CancelledError, ExceptionGroup, KeyboardInterrupt, RuntimeError } from "./errors.ts";
import { type Future, markAwaitedBy } from "./futures.ts";
import type { EventLoop } from "./loop.ts";
import { requireRunningLoop } from "./_running_loop.ts";
import { type CoroutineArgs, currentTask, type Task } from "./tasks.ts";

/**
 * The body of a task group: starts tasks with `tg.createTask(...)`. What it
 * returns is awaited if it is a Future or a promise (as an async function's
 * return value is); return an array of tasks, not a bare Task.
 */
export type TaskGroupBody<T> = (tg: TaskGroup) => T | PromiseLike<T>;

/**
 * A group of tasks that `run(body)` waits for. Python: `asyncio.TaskGroup`.
 *
 * - When the body is done, the group waits for every task in it.
 * - The first task that fails (with anything but `CancelledError`) cancels
 *   the others and the body; all errors are raised together as
 *   `ExceptionGroup('unhandled errors in a TaskGroup', errors)`, an error
 *   of the body included. `KeyboardInterrupt` is raised alone.
 * - Cancelling the task running the group cancels the tasks in it, waits,
 *   and raises `CancelledError`. A task cancelled on its own does not stop
 *   the group.
 *
 * Not promised: the order in which the other tasks are cancelled.
 *
 * @example Three downloads, all or nothing
 * ```ts
 * import { run, sleep, taskGroup } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const pages = await taskGroup(async (tg) => {
 *     const tasks = ["a", "b", "c"].map((page) => tg.createTask(() => sleep(0.01, page)));
 *     return tasks;
 *   });
 *   console.log(pages.map((task) => task.result())); // ["a", "b", "c"]
 * });
 * ```
 */
export class TaskGroup {
  // Invariants: #tasks holds the group's tasks that are not done. #parent
  // is the task running the body, from entry on. #aborting is set once the
  // children were cancelled (a failure, an error of the body, a cancel from
  // outside) and never cleared. #parentCancelRequested records that the
  // group itself called parent.cancel(); exit must then undo it with one
  // parent.uncancel().
  #entered = false;
  #exiting = false;
  #aborting = false;
  #loop: EventLoop | null = null;
  #parent: Task<unknown> | null = null;
  #parentCancelRequested = false;
  readonly #tasks = new Set<Task<unknown>>();
  #errors: unknown[] = [];
  #baseError: unknown = null;
  #onCompleted: Future<void> | null = null;

  /** Python's repr: `<TaskGroup tasks=2 errors=1 cancelling>`. */
  toString(): string {
    const parts = [""];
    if (this.#tasks.size > 0) parts.push(`tasks=${this.#tasks.size}`);
    if (this.#errors.length > 0) parts.push(`errors=${this.#errors.length}`);
    if (this.#aborting) parts.push("cancelling");
    else if (this.#exiting && this.#tasks.size === 0) parts.push("finished");
    else if (this.#entered) parts.push("entered");
    return `<TaskGroup${parts.join(" ")}>`;
  }

  /**
   * Run `body(this)` in the calling task, then wait for all the group's
   * tasks; resolves with the body's result. Python: `async with tg:`.
   *
   * @throws {ExceptionGroup} `unhandled errors in a TaskGroup (N sub-exceptions)`.
   * @throws {CancelledError} if the calling task was cancelled from outside.
   * @throws {RuntimeError} `TaskGroup <TaskGroup entered> has already been
   * entered`, `... cannot determine the parent task` (outside a task).
   */
  async run<T>(body: TaskGroupBody<T>): Promise<T> {
    this.#enter();
    let result: T | undefined;
    let failed = false;
    let error: unknown;
    try {
      result = await body(this);
    } catch (thrown) {
      failed = true;
      error = thrown;
    }
    try {
      await this.#exit(failed, error);
    } finally {
      // Errors can hold the tasks alive; let them go.
      this.#errors = [];
      this.#baseError = null;
    }
    // Only reached with failed set when the error was the group's own
    // cancellation, swallowed as in Python: there is no result then.
    return result as T;
  }

  /**
   * Start `coro(...args)` as a Task in this group (with an optional
   * `{ name }` first, as `createTask`). Python: `TaskGroup.create_task`.
   *
   * @throws {RuntimeError} `TaskGroup <TaskGroup> has not been entered`,
   * `TaskGroup <TaskGroup finished> is finished`, `TaskGroup <TaskGroup ...
   * cancelling> is shutting down`; the function is then never called.
   * @throws {TypeError} for a promise instead of a function (see `createTask`).
   */
  createTask<T, A extends unknown[]>(...spec: CoroutineArgs<T, A>): Task<T> {
    if (!this.#entered) throw new RuntimeError(`TaskGroup ${this} has not been entered`);
    if (this.#exiting && this.#tasks.size === 0) {
      throw new RuntimeError(`TaskGroup ${this} is finished`);
    }
    if (this.#aborting) throw new RuntimeError(`TaskGroup ${this} is shutting down`);
    const task = this.#loop!.createTask(...spec);
    this.#tasks.add(task as Task<unknown>);
    task._addDoneCallback(this.#onTaskDone as (done: Future<T>) => void);
    return task;
  }

  #enter(): void {
    if (this.#entered) throw new RuntimeError(`TaskGroup ${this} has already been entered`);
    this.#loop ??= requireRunningLoop();
    const parent = currentTask(this.#loop);
    if (parent === null) {
      throw new RuntimeError(`TaskGroup ${this} cannot determine the parent task`);
    }
    this.#parent = parent;
    // Call graphs show the children awaited by the parent, as Python's.
    markAwaitedBy(this.#onTaskDone, parent);
    this.#entered = true;
  }

  async #exit(failed: boolean, error: unknown): Promise<void> {
    this.#exiting = true;
    if (failed && isBaseError(error) && this.#baseError === null) this.#baseError = error;
    let propagateCancellation: unknown = failed && error instanceof CancelledError ? error : null;
    // The body failed or was cancelled: stop the children too.
    if (failed && !this.#aborting) this.#abort();

    // A loop, since the parent can be cancelled again while it waits.
    let pendingCancellation: unknown = null;
    while (this.#tasks.size > 0) {
      this.#onCompleted ??= this.#loop!.createFuture<void>();
      try {
        await this.#onCompleted._wait();
      } catch (thrown) {
        if (!(thrown instanceof CancelledError)) throw thrown;
        pendingCancellation = thrown;
        if (!this.#aborting) {
          // Cancelled from outside while waiting for the children.
          propagateCancellation = thrown;
          this.#abort();
        }
      }
      this.#onCompleted = null;
    }

    if (this.#baseError !== null) {
      for (const suppressed of this.#errors) {
        if (suppressed === this.#baseError) continue;
        this.#loop!.callExceptionHandler({
          message: "TaskGroup task exception was not propagated because the TaskGroup " +
            "body is being closed with a KeyboardInterrupt",
          exception: suppressed,
          taskGroup: this,
        });
      }
      throw this.#baseError;
    }

    if (this.#parentCancelRequested) {
      // Undo the group's own cancel of the parent; if none is left, the
      // CancelledError it caused stops here.
      if (this.#parent!.uncancel() === 0) propagateCancellation = null;
      else if (propagateCancellation === null) propagateCancellation = pendingCancellation;
    }
    // Errors of the tasks take priority over a cancellation.
    if (propagateCancellation !== null && this.#errors.length === 0) throw propagateCancellation;

    if (failed && !(error instanceof CancelledError)) this.#errors.push(error);
    if (this.#errors.length > 0) {
      // Keep a cancel from outside pending after the group's error (3.13).
      if (this.#parent!.cancelling() > 0) {
        this.#parent!.uncancel();
        this.#parent!.cancel();
      }
      throw new ExceptionGroup("unhandled errors in a TaskGroup", [...this.#errors]);
    }
  }

  #abort(): void {
    this.#aborting = true;
    for (const task of this.#tasks) {
      if (!task.done()) task.cancel();
    }
  }

  readonly #onTaskDone = (done: Future<unknown>): void => {
    const task = done as Task<unknown>;
    this.#tasks.delete(task);
    if (this.#onCompleted !== null && this.#tasks.size === 0 && !this.#onCompleted.done()) {
      this.#onCompleted.setResult(undefined);
    }
    if (task.cancelled()) return;
    const error = task.exception();
    if (error === null) return;
    this.#errors.push(error);
    if (isBaseError(error) && this.#baseError === null) this.#baseError = error;
    const parent = this.#parent!;
    if (parent.done()) {
      this.#loop!.callExceptionHandler({
        message: `Task ${task} has errored out but its parent task ${parent} is already completed`,
        exception: error,
        task,
      });
      return;
    }
    if (!this.#aborting && !this.#parentCancelRequested) {
      // Interrupt the body: the parent is cancelled now and uncancelled at
      // exit, so code after the group runs normally.
      this.#abort();
      this.#parentCancelRequested = true;
      parent.cancel();
    }
  };
}

/**
 * Run `body` with a new `TaskGroup` and wait for every task it starts;
 * resolves with the body's result. Python: `async with asyncio.TaskGroup()
 * as tg:`. See `TaskGroup` for the rules.
 *
 * @throws {ExceptionGroup} `unhandled errors in a TaskGroup (N sub-exceptions)`.
 * @throws {CancelledError} if the calling task was cancelled from outside.
 * @throws {RuntimeError} `no running event loop` (at once); `... cannot
 * determine the parent task` outside a task.
 *
 * @example One failure cancels the rest
 * ```ts
 * import { ExceptionGroup, run, sleep, taskGroup } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   try {
 *     await taskGroup((tg) => {
 *       tg.createTask(() => sleep(3600));
 *       tg.createTask(async () => {
 *         throw new Error("boom");
 *       });
 *     });
 *   } catch (e) {
 *     console.log((e as ExceptionGroup).exceptions.map(String)); // ["Error: boom"]
 *   }
 * });
 * ```
 */
export function taskGroup<T>(body: TaskGroupBody<T>): Promise<T> {
  const group = new TaskGroup();
  requireRunningLoop();
  return group.run(body);
}

function isBaseError(error: unknown): boolean {
  return error instanceof KeyboardInterrupt;
}
