// The sign-up form's one script: fills the hidden time_zone field with the
// browser's IANA time zone, so a new account reads due times in the zone
// its owner lives in. Without it the field stays empty and the account
// starts in UTC (changeable on the Account page). Served from /static, as
// the page's Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var field = document.getElementById("time_zone");
  if (!field || typeof Intl === "undefined" || !Intl.DateTimeFormat) {
    return;
  }
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (typeof zone === "string" && zone.length > 0 && zone.length <= 64) {
      field.value = zone;
    }
  } catch (error) {
    // An old browser without time zone support: UTC it is.
  }
})();
