// A form's Preview button sends its text field by GET: the button carries the field's value as its own
// (<button name="preview" data-value-from="FIELD-ID">), so the page needs no inline script (Content-Security-Policy).
document.querySelectorAll("button[data-value-from]").forEach(function (button) {
  button.addEventListener("click", function () {
    var field = document.getElementById(button.getAttribute("data-value-from"));
    if (field) button.value = field.value;
  });
});
