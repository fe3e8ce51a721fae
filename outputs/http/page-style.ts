/**
 * The status page's CSS, inline (no external resources): system fonts only, light and dark themes
 * from the OS setting, one column on a phone, value beside chart from 800 px.
 */
export const PAGE_STYLE = `
:root{color-scheme:light dark;
--bg:#f3f4f6;--card:#fff;--text:#111418;--muted:#5b636e;--line:#dde1e6;
--ok:#0f8a4f;--low:#d0191f;--urgent:#b00012;--high:#a86400;--stale:#8a9099;
--band:rgba(15,138,79,.11);--grid:rgba(0,0,0,.07);--limit:rgba(15,138,79,.45)}
@media (prefers-color-scheme:dark){:root{
--bg:#0d0f12;--card:#171a1f;--text:#eceef1;--muted:#9aa1ab;--line:#2a2f37;
--ok:#3dd68c;--low:#ff6369;--urgent:#ff3b46;--high:#ffb224;--stale:#6f7680;
--band:rgba(61,214,140,.12);--grid:rgba(255,255,255,.07);--limit:rgba(61,214,140,.4)}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);
font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif}
main{max-width:1100px;margin:0 auto;padding:12px;display:grid;gap:12px;grid-template-columns:minmax(0,1fr)}
.card{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:14px 16px;min-width:0}
h2{font-size:13px;font-weight:600;letter-spacing:.06em;text-transform:uppercase;color:var(--muted);margin:0 0 10px}
.top{display:flex;justify-content:space-between;align-items:center;gap:8px;color:var(--muted);font-size:14px;padding:0 4px}
.top b{color:var(--text);font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:13px;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.good{color:var(--ok)}.warn{color:var(--high)}.bad{color:var(--low)}.idle{color:var(--muted)}

.now{text-align:center;padding:18px 16px 20px;container-type:inline-size}
.reading{display:flex;justify-content:center;align-items:center;gap:.12em;
font-size:clamp(64px,26vw,132px);font-size:clamp(56px,34cqi,132px);font-weight:700;line-height:1;font-variant-numeric:tabular-nums;letter-spacing:-.02em}
.reading.long{font-size:clamp(56px,22vw,132px);font-size:clamp(48px,27cqi,132px)}
.arrow{font-size:.78em;font-weight:400;line-height:1}
.units-delta{margin-top:6px;font-size:18px;color:var(--muted);font-variant-numeric:tabular-nums}
.units-delta b{color:var(--text);font-weight:600}
.age{margin-top:10px;font-size:22px;font-weight:600}
.range{margin-top:6px;font-size:15px;font-weight:600;letter-spacing:.04em;text-transform:uppercase}
.now.in-range .reading,.now.in-range .range{color:var(--ok)}
.now.low .reading,.now.low .range{color:var(--low)}
.now.urgent-low .reading,.now.urgent-low .range{color:var(--urgent)}
.now.high .reading,.now.high .range{color:var(--high)}
.now.stale .reading,.now.stale .range{color:var(--stale)}
.now.stale .value{text-decoration:line-through;text-decoration-thickness:.07em}
.now.stale .age{color:var(--low)}
.stale-banner{margin:0 0 14px;padding:8px 10px;border-radius:10px;background:var(--low);color:#fff;font-weight:700;font-size:16px}
.now.none .reading{font-size:40px;color:var(--muted);font-weight:600}
.now.none p{color:var(--muted);margin:8px 0 0}
.now .who{margin:0 0 4px;color:var(--muted);font-size:14px;font-weight:600;overflow-wrap:anywhere}
.latest td.value{font-weight:700;font-variant-numeric:tabular-nums}
.latest tr.low td.value{color:var(--low)}.latest tr.urgent-low td.value{color:var(--urgent)}.latest tr.high td.value{color:var(--high)}.latest tr.in-range td.value{color:var(--ok)}
.latest tr.stale td.value{color:var(--stale);text-decoration:line-through}

.chart{margin:0}
.plot{position:relative;padding-right:44px}
.plot svg{display:block;width:100%;height:auto;overflow:visible}
.band{fill:var(--band)}
.limit{stroke:var(--limit);stroke-width:2;stroke-dasharray:8 6;vector-effect:non-scaling-stroke}
.grid{stroke:var(--grid);stroke-width:1;vector-effect:non-scaling-stroke}
.pt{fill:var(--ok)}.pt.low{fill:var(--low)}.pt.urgent-low{fill:var(--urgent)}.pt.high{fill:var(--high)}
.pt.last{stroke:var(--text);stroke-width:2;vector-effect:non-scaling-stroke}
.ylabels{position:absolute;top:0;right:0;bottom:0;width:40px}
.ylabels span{position:absolute;right:0;transform:translateY(-50%);font-size:12px;color:var(--muted);font-variant-numeric:tabular-nums}
.xlabels{position:relative;height:18px;margin:4px 44px 0 0}
.xlabels span{position:absolute;transform:translateX(-50%);font-size:12px;color:var(--muted);white-space:nowrap}
.xlabels span.first{transform:none}.xlabels span.end{transform:translateX(-100%)}
.chart-empty{position:absolute;inset:0 44px 0 0;display:flex;align-items:center;justify-content:center;margin:0;color:var(--muted);font-weight:600}
.stats{display:flex;flex-wrap:wrap;gap:4px 16px;margin-top:10px;font-size:14px;color:var(--muted)}
.stats b{color:var(--text);font-variant-numeric:tabular-nums}

table{width:100%;border-collapse:collapse;font-size:14px}
th:nth-child(1){width:30%}th:nth-child(2){width:30%}
th{text-align:left;font-size:12px;font-weight:600;color:var(--muted);padding:0 8px 6px 0;border-bottom:1px solid var(--line)}
td{padding:8px 8px 8px 0;border-bottom:1px solid var(--line);vertical-align:top}
tr:last-child td{border-bottom:0}
tr.bridge td{padding-top:12px;font-weight:600}
tr.loop .name,tr.output .name{padding-left:14px}
.kind{display:block;font-size:12px;color:var(--muted);font-weight:400}
.when{display:block;font-size:12px;color:var(--muted);margin-top:2px}
.err{color:var(--low);overflow-wrap:anywhere;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px}
.err.none{color:var(--muted);font-family:inherit;font-weight:400}
footer{color:var(--muted);font-size:12px;text-align:center;padding:4px 0 16px}

@media (max-width:599px){
main{padding:8px;gap:8px}
thead{display:none}
tr{display:grid;grid-template-columns:minmax(0,1fr) auto;column-gap:8px;border-bottom:1px solid var(--line)}
tr:last-child{border-bottom:0}
td{border-bottom:0;padding:6px 0}
td.err{grid-column:1/-1;padding-top:0}
td.err.none{display:none}
td.state{text-align:right}
}
@media (min-width:800px){
main{grid-template-columns:minmax(300px,1fr) 2.2fr;padding:20px}
.top,.health,.latest,footer{grid-column:1/-1}
.now{display:flex;flex-direction:column;justify-content:center}
}
`;
