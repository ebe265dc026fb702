// What the Task Tower page shows and how it talks to the API, as pure functions
// (the API through an injected fetch): tested by `node --test` without a
// browser, bundled by esbuild into tasktower/static/dist/app.js. app.js wires
// them to the DOM.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe to put inside HTML (a title is user input). */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/** Open tasks first, then by due date (none last), then newest first. */
export function sortTasks(tasks) {
  const due = (t) => (t.due ? t.due : "9999-12-31");
  return [...tasks].sort(
    (a, b) =>
      Number(a.done) - Number(b.done) ||
      due(a).localeCompare(due(b)) ||
      (b.id ?? 0) - (a.id ?? 0),
  );
}

/** Whether an open task is past its due date on `today` (YYYY-MM-DD). */
export function isOverdue(task, today) {
  return !task.done && Boolean(task.due) && task.due < today;
}

/** Counts for the header: total, open, done, overdue. */
export function summarize(tasks, today) {
  const done = tasks.filter((t) => t.done).length;
  return {
    total: tasks.length,
    open: tasks.length - done,
    done,
    overdue: tasks.filter((t) => isOverdue(t, today)).length,
  };
}

/** The filters the page offers, in the order of its links. */
export const FILTERS = ["all", "open", "done"];

/** The filter a URL query asks for (`?filter=open|done`); anything else is "all". */
export function parseFilter(search) {
  const value = new URLSearchParams(search).get("filter");
  return FILTERS.includes(value) ? value : "all";
}

/** The page URL that shows a filter: what the filter links point at, and the address bar. */
export function filterHref(filter) {
  return filter === "all" || !FILTERS.includes(filter) ? "/" : `/?filter=${filter}`;
}

/** The tasks a filter shows. */
export function filterTasks(tasks, filter) {
  if (filter === "open") return tasks.filter((t) => !t.done);
  if (filter === "done") return tasks.filter((t) => t.done);
  return [...tasks];
}

/** The summary line: "3 open, 1 done, 1 overdue". */
export function summaryText(counts) {
  return `${counts.open} open, ${counts.done} done, ${counts.overdue} overdue`;
}

/**
 * One task as an <li>: escaped title, its state and due date as classes and
 * text (not colour alone), and for an open task a button whose accessible name
 * names the task ("Complete buy milk"), so a list of them can be told apart.
 */
export function renderTask(task, today) {
  const classes = ["task"];
  if (task.done) classes.push("task--done");
  const overdue = isOverdue(task, today);
  if (overdue) classes.push("task--overdue");
  const title = escapeHtml(task.title);
  const state = task.done ? ' <span class="badge">done</span>' :
    overdue ? ' <span class="badge badge--late">overdue</span>' : "";
  const due = task.due ? ` <time datetime="${escapeHtml(task.due)}">due ${escapeHtml(task.due)}</time>` : "";
  const action = task.done ? "" :
    ` <button type="button" class="complete" data-complete="${Number(task.id)}">` +
    `Complete<span class="visually-hidden"> ${title}</span></button>`;
  return `<li class="${classes.join(" ")}" data-id="${Number(task.id)}">` +
    `<span class="title">${title}</span>${state}${due}${action}</li>`;
}

const EMPTY = { all: "No tasks yet.", open: "No open tasks.", done: "No done tasks yet." };

/** The list of tasks as HTML, sorted; a friendly line (per filter) when there is none. */
export function renderList(tasks, today, filter = "all") {
  if (tasks.length === 0) return `<p class="empty">${EMPTY[filter] ?? EMPTY.all}</p>`;
  return `<ul class="tasks">${sortTasks(tasks).map((t) => renderTask(t, today)).join("")}</ul>`;
}

/** The title the form would send, or why not: the API's rule (1 to 200 characters, not blank). */
export function checkTitle(raw) {
  const title = String(raw ?? "").trim();
  if (title === "") return { error: "Enter a title for the task." };
  // counted in characters (code points), as the API counts them
  if ([...title].length > 200) return { error: "A title is at most 200 characters." };
  return { title };
}

/** The API's error message from a failed response, or its status when it sent none. */
async function failure(response, what) {
  let message = "";
  try {
    message = (await response.json()).error ?? "";
  } catch {
    // not JSON: the status says enough
  }
  return new Error(`${what} answered ${response.status}${message ? `: ${message}` : ""}`);
}

/** POST /tasks: the task created, or an error carrying the API's message. */
export async function createTask(fetchFn, title, due = null, baseUrl = "") {
  const response = await fetchFn(`${baseUrl}/tasks`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ title, due: due || null }),
  });
  if (!response.ok) throw await failure(response, "POST /tasks");
  return response.json();
}

/** POST /tasks/{id}/complete: the task, done. */
export async function completeTask(fetchFn, id, baseUrl = "") {
  const path = `/tasks/${Number(id)}/complete`;
  const response = await fetchFn(`${baseUrl}${path}`, { method: "POST" });
  if (!response.ok) throw await failure(response, `POST ${path}`);
  return response.json();
}

/** GET /tasks through `fetchFn` (window.fetch in the page): the task list, or an error. */
export async function loadTasks(fetchFn, baseUrl = "") {
  const response = await fetchFn(`${baseUrl}/tasks?limit=1000`);
  if (!response.ok) throw new Error(`GET /tasks answered ${response.status}`);
  const body = await response.json();
  if (!Array.isArray(body.tasks)) throw new Error("GET /tasks did not answer a task list");
  return body.tasks;
}
