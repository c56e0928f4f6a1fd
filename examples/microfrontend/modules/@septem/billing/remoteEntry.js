// Module Federation remote of @septem/billing (a real build writes this file)
export const get = (name) => import("./BillingApp.js");
export const init = () => {};
