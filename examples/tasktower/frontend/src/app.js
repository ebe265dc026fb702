// The Task Tower page: loads the tasks and shows them. Bundled and minified
// by esbuild (npm run build) into tasktower/static/dist/, shipped in the wheel.
import { loadTasks, renderList, summarize } from "./tasks.js";

function today() {
  return new Date().toISOString().slice(0, 10);
}

async function show(root) {
  try {
    const tasks = await loadTasks(window.fetch.bind(window));
    const counts = summarize(tasks, today());
    root.innerHTML =
      `<p class="summary">${counts.open} open, ${counts.done} done, ${counts.overdue} overdue</p>` +
      renderList(tasks, today());
  } catch (error) {
    root.textContent = `Could not load the tasks: ${error.message}`;
    root.classList.add("error");
  }
}

if (typeof document !== "undefined") {
  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("tasktower");
    if (root) show(root);
  });
}
