/** One small stylesheet, inlined: readable on laptops and phones, WCAG AA contrast, visible focus. */
export const STYLES = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--line:#d0d7de;--accent:#0b57d0;--ok:#116329;--err:#b3261e;--warn:#7a4d00;--soft:#f6f8fa}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:8px 24px;padding:10px 20px;border-bottom:1px solid var(--line);background:var(--soft)}
.brand{font-weight:700;font-size:18px}.brand small{font-weight:400;color:var(--muted)}
nav ul{display:flex;flex-wrap:wrap;gap:4px 14px;list-style:none;margin:0;padding:0}nav a{text-decoration:none;padding:4px 2px}nav a[aria-current=page]{font-weight:700;border-bottom:2px solid var(--accent)}
.signout{margin-left:auto;color:var(--muted)}
main{max-width:1180px;margin:0 auto;padding:20px}
h1{font-size:24px;margin:8px 0 16px}h2{font-size:18px;margin:24px 0 8px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}th{background:var(--soft);font-weight:600}
.table-wrap{overflow-x:auto}
form.stack label{display:block;font-weight:600;margin-top:12px}form.stack .help{display:block;font-weight:400;color:var(--muted);font-size:13px}
input[type=text],input[type=password],input[type=number],input[type=email],input[type=search],input[type=time],select,textarea{font:inherit;padding:6px 8px;border:1px solid #8c959f;border-radius:4px;width:100%;max-width:520px;background:#fff;color:var(--fg)}
textarea{min-height:90px}
button,.button{font:inherit;padding:7px 14px;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}button.danger{background:var(--err);border-color:var(--err)}button.link{background:none;border:none;color:var(--accent);padding:0;text-decoration:underline}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin:16px 0}
.flash{padding:10px 12px;border-radius:4px;border:1px solid}.flash.ok{color:var(--ok);border-color:var(--ok);background:#e6f4ea}.flash.error{color:var(--err);border-color:var(--err);background:#fce8e6}.flash.warn{color:var(--warn);border-color:#d4a72c;background:#fff8c5}
.field-error{color:var(--err);font-size:13px;display:block}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px}.card{border:1px solid var(--line);border-radius:6px;padding:12px}.card .n{font-size:26px;font-weight:700}
.muted{color:var(--muted)}.ok{color:var(--ok)}.err{color:var(--err)}.warn{color:var(--warn)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;word-break:break-all}
.pager{display:flex;gap:12px;align-items:center;margin:8px 0}
fieldset{border:1px solid var(--line);border-radius:6px;margin:16px 0;padding:8px 16px 16px}legend{font-weight:700;padding:0 6px}
details summary{cursor:pointer;font-weight:600;margin:8px 0}
@media (max-width:640px){main{padding:12px}th,td{padding:4px}.top{padding:8px 12px}}
`;
