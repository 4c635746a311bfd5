/* The printable patrol briefing (patrol/briefing.html): its print button. */
document.getElementById("print").addEventListener("click", function () { window.print(); });
