// Module Federation remote of @septem/reports (a real build writes this file)
export const get = (name) => import("./ReportsApp.js");
export const init = () => {};
