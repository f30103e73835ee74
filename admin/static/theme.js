// Applies the stored theme before the page paints (no flash of the other theme).
(function () {
  try {
    var t = localStorage.getItem("quarry-admin-theme");
    if (t === "light" || t === "dark") document.documentElement.setAttribute("data-theme", t);
  } catch (e) {}
})();
