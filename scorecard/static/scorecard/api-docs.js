// Swagger UI draws the API's title and guide above its own <main>, outside any landmark;
// name that part a region, so every part of the docs page is in a landmark (as axe asks).
"use strict";
(function () {
  function label() {
    var info = document.querySelector(".swagger-ui .information-container");
    if (info && !info.hasAttribute("role")) {
      info.setAttribute("role", "region");
      info.setAttribute("aria-label", "About the API");
    }
  }
  new MutationObserver(label).observe(document.documentElement, { childList: true, subtree: true });
  label();
})();
