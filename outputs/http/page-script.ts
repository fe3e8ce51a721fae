import { createHash } from 'node:crypto';
import { STALE_AFTER_MS } from './page-format.js';

/** The status page reloads itself this often. */
export const REFRESH_SECONDS = 60;

/**
 * Keeps the ages honest between reloads (a phone may freeze the tab): each counts on from the age
 * the server rendered, marks the value stale after 15 min, and reloads a page that missed its
 * refresh as soon as it is visible again. No data goes into this script.
 */
export const AGE_SCRIPT = `(function(){var t0=Date.now(),els=document.querySelectorAll('[data-testid=age][data-age-ms]');
function f(ms){var m=Math.floor(ms/60000);if(m<1)return'just now';if(m<60)return m+' min ago';var h=Math.floor(m/60);
if(h<24)return h+' h'+(m%60?' '+(m%60)+' min':'')+' ago';return Math.floor(h/24)+' d ago'}
function tick(){var e=Date.now()-t0;if(e>${(REFRESH_SECONDS + 30) * 1000}&&!document.hidden){location.reload();return}
for(var i=0;i<els.length;i++){var el=els[i],a=Number(el.getAttribute('data-age-ms'))+e;el.textContent=f(a);
if(a>${STALE_AFTER_MS}){var n=el.closest('.now');if(n){n.classList.add('stale');n.setAttribute('data-state','stale')}}}}
setInterval(tick,15000);document.addEventListener('visibilitychange',tick)})();`;

/** The one script the page may run: the server's Content-Security-Policy allows it by hash, nothing else. */
export const AGE_SCRIPT_CSP = `'sha256-${createHash('sha256').update(AGE_SCRIPT, 'utf8').digest('base64')}'`;
