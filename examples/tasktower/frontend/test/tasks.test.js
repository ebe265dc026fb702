// Unit tests of the page's logic with Node's own test runner (node --test).
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  FILTERS,
  checkTitle,
  completeTask,
  createTask,
  escapeHtml,
  filterHref,
  filterTasks,
  isOverdue,
  loadTasks,
  parseFilter,
  renderList,
  renderTask,
  sortTasks,
  summarize,
  summaryText,
} from "../src/tasks.js";

const TODAY = "2030-01-15";
const TASKS = [
  { id: 1, title: "done early", done: true, due: "2030-01-01" },
  { id: 2, title: "late", done: false, due: "2030-01-10" },
  { id: 3, title: "no date", done: false, due: null },
  { id: 4, title: "soon", done: false, due: "2030-01-20" },
];

test("escapeHtml escapes what HTML would read as markup", () => {
  assert.equal(escapeHtml(`<b>"Tom" & 'Jerry'</b>`),
    "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
});

test("sortTasks: open before done, by due date, undated last", () => {
  assert.deepEqual(sortTasks(TASKS).map((t) => t.id), [2, 4, 3, 1]);
});

test("sortTasks does not reorder its input", () => {
  const copy = [...TASKS];
  sortTasks(TASKS);
  assert.deepEqual(TASKS, copy);
});

test("isOverdue: only open tasks past their date", () => {
  assert.equal(isOverdue(TASKS[1], TODAY), true);
  assert.equal(isOverdue(TASKS[0], TODAY), false);
  assert.equal(isOverdue(TASKS[2], TODAY), false);
  assert.equal(isOverdue(TASKS[3], TODAY), false);
});

test("summarize counts open, done and overdue", () => {
  assert.deepEqual(summarize(TASKS, TODAY), { total: 4, open: 3, done: 1, overdue: 1 });
});

test("renderTask escapes the title and marks state", () => {
  const html = renderTask({ id: 7, title: "<script>", done: false, due: "2030-01-01" }, TODAY);
  assert.match(html, /&lt;script&gt;/);
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /task--overdue/);
  assert.match(html, /data-id="7"/);
});

test("renderList: a friendly line when empty, a sorted list otherwise", () => {
  assert.match(renderList([], TODAY), /No tasks yet/);
  const html = renderList(TASKS, TODAY);
  assert.ok(html.indexOf("late") < html.indexOf("done early"));
});

test("loadTasks returns the list and refuses what is not one", async () => {
  const answer = (status, body) => async () => ({ ok: status === 200, status, json: async () => body });
  assert.deepEqual(await loadTasks(answer(200, { tasks: TASKS })), TASKS);
  await assert.rejects(loadTasks(answer(503, {})), /answered 503/);
  await assert.rejects(loadTasks(answer(200, { tasks: "nope" })), /not answer a task list/);
});

/** A fetch that answers `status` and `body`, and records each call's URL and options. */
function fakeFetch(status, body) {
  const calls = [];
  const fetchFn = async (url, options = {}) => {
    calls.push({ url, options });
    return {
      ok: status >= 200 && status < 300,
      status,
      json: async () => {
        if (body === undefined) throw new SyntaxError("Unexpected end of JSON input");
        return body;
      },
    };
  };
  return { fetchFn, calls };
}

test("parseFilter reads ?filter= and falls back to all", () => {
  assert.equal(parseFilter("?filter=done"), "done");
  assert.equal(parseFilter("?filter=open&x=1"), "open");
  assert.equal(parseFilter("filter=all"), "all");
  assert.equal(parseFilter(""), "all");
  assert.equal(parseFilter("?filter=DONE"), "all");
  assert.equal(parseFilter("?filter=<script>"), "all");
});

test("filterHref and parseFilter round-trip every filter", () => {
  assert.equal(filterHref("all"), "/");
  assert.equal(filterHref("done"), "/?filter=done");
  assert.equal(filterHref("bogus"), "/");
  for (const filter of FILTERS) {
    assert.equal(parseFilter(new URL(filterHref(filter), "http://x").search), filter);
  }
});

test("filterTasks keeps open, done or all, without changing its input", () => {
  assert.deepEqual(filterTasks(TASKS, "open").map((t) => t.id), [2, 3, 4]);
  assert.deepEqual(filterTasks(TASKS, "done").map((t) => t.id), [1]);
  const all = filterTasks(TASKS, "all");
  assert.deepEqual(all, TASKS);
  assert.notEqual(all, TASKS);
});

test("summaryText says the counts", () => {
  assert.equal(summaryText(summarize(TASKS, TODAY)), "3 open, 1 done, 1 overdue");
});

test("renderTask: an open task has a Complete button naming it, a done one none", () => {
  const open = renderTask({ id: 9, title: "buy <milk>", done: false, due: null }, TODAY);
  assert.match(open, /<button type="button" class="complete" data-complete="9">Complete<span class="visually-hidden"> buy &lt;milk&gt;<\/span><\/button>/);
  const done = renderTask({ id: 9, title: "buy milk", done: true, due: null }, TODAY);
  assert.doesNotMatch(done, /<button/);
  assert.match(done, /task--done/);
  assert.match(done, />done</);
});

test("renderTask: overdue is said in words, not colour alone", () => {
  assert.match(renderTask(TASKS[1], TODAY), />overdue</);
  assert.doesNotMatch(renderTask(TASKS[3], TODAY), />overdue</);
});

test("renderTask: a hostile id cannot break out of its attribute", () => {
  const html = renderTask({ id: '1" onclick="x', title: "t", done: false, due: null }, TODAY);
  assert.doesNotMatch(html, /onclick/);
  assert.match(html, /data-id="NaN"/);
});

test("renderList: the empty line names the filter", () => {
  assert.match(renderList([], TODAY, "open"), /No open tasks/);
  assert.match(renderList([], TODAY, "done"), /No done tasks yet/);
  assert.match(renderList([], TODAY, "nonsense"), /No tasks yet/);
});

test("checkTitle trims, refuses blank and counts characters as the API does", () => {
  assert.deepEqual(checkTitle("  ship it "), { title: "ship it" });
  assert.match(checkTitle(" \t ").error, /Enter a title/);
  assert.match(checkTitle(undefined).error, /Enter a title/);
  assert.deepEqual(checkTitle("x".repeat(200)), { title: "x".repeat(200) });
  assert.match(checkTitle("x".repeat(201)).error, /at most 200/);
  // 200 emoji are 400 UTF-16 units but 200 characters: accepted, as the API does
  assert.deepEqual(checkTitle("🗼".repeat(200)), { title: "🗼".repeat(200) });
});

test("createTask posts JSON and returns the task", async () => {
  const task = { id: 5, title: "ship it", done: false, due: "2030-02-01" };
  const { fetchFn, calls } = fakeFetch(201, task);
  assert.deepEqual(await createTask(fetchFn, "ship it", "2030-02-01"), task);
  assert.equal(calls[0].url, "/tasks");
  assert.equal(calls[0].options.method, "POST");
  assert.equal(calls[0].options.headers["Content-Type"], "application/json");
  assert.deepEqual(JSON.parse(calls[0].options.body), { title: "ship it", due: "2030-02-01" });
  await createTask(fetchFn, "no date", "");
  assert.deepEqual(JSON.parse(calls[1].options.body), { title: "no date", due: null });
});

test("createTask reports the API's error, or the status alone", async () => {
  const refused = fakeFetch(400, { error: "title is too long", field: "title" }).fetchFn;
  await assert.rejects(createTask(refused, "x"), /POST \/tasks answered 400: title is too long/);
  const broken = fakeFetch(502, undefined).fetchFn;
  await assert.rejects(createTask(broken, "x"), (error) => error.message === "POST /tasks answered 502");
});

test("completeTask posts to the task's own URL", async () => {
  const { fetchFn, calls } = fakeFetch(200, { id: 3, done: true });
  assert.deepEqual(await completeTask(fetchFn, "3"), { id: 3, done: true });
  assert.equal(calls[0].url, "/tasks/3/complete");
  assert.equal(calls[0].options.method, "POST");
  const missing = fakeFetch(404, { error: "no task 3" }).fetchFn;
  await assert.rejects(completeTask(missing, 3), /POST \/tasks\/3\/complete answered 404: no task 3/);
});
