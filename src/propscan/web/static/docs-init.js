/* Starts Swagger UI on /docs from local files (no CDN, no inline script). */
window.addEventListener("load", function () {
  if (!window.SwaggerUIBundle || !document.getElementById("swagger-ui")) return;
  window.ui = window.SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
