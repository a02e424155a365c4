// Progressive enhancement only: every page works without JavaScript.
import { initAll, isSupported } from "/static/govuk/govuk-frontend.min.js";

if (isSupported()) {
  document.body.classList.add("govuk-frontend-supported");
  initAll();
}
