// Keyboard marking: j/k or the arrows move between students, 1-9 applies rubric item N and
// saves, Shift+1-9 puts kept comment N in the comment box and saves, n saves and moves on.
// Served from the app itself: the Content-Security-Policy allows no other script.
"use strict";
document.addEventListener("keydown", function (event) {
  var form = document.getElementById("mark-form");
  if (!form || event.ctrlKey || event.metaKey || event.altKey) return;
  var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
  if (typing) {
    if (event.key === "Escape") event.target.blur();
    return;
  }
  var digit = /^Digit([1-9])$/.exec(event.code);
  if (digit && !event.shiftKey) {
    var box = form.querySelector('input[type=checkbox][data-key="' + digit[1] + '"]');
    if (box) { box.checked = !box.checked; event.preventDefault(); form.submit(); }
    return;
  }
  if (digit && event.shiftKey) {
    var kept = document.querySelector('#comments li[data-key="' + digit[1] + '"]');
    if (kept) {
      var comment = document.getElementById("comment");
      comment.value = comment.value ? comment.value + "\n" + kept.dataset.text : kept.dataset.text;
      event.preventDefault();
      form.submit();
    }
    return;
  }
  var go = { j: "next", ArrowRight: "next", k: "previous", ArrowLeft: "previous" }[event.key];
  if (go) { event.preventDefault(); window.location = document.getElementById(go).href; return; }
  if (event.key === "n") {
    event.preventDefault();
    document.getElementById("then").value = "next";
    form.submit();
  }
});
document.addEventListener("click", function (event) {
  var then = event.target.dataset && event.target.dataset.then;
  if (then) document.getElementById("then").value = then;
});
