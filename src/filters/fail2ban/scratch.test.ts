import { it } from 'vitest';
import { importFail2banFilter } from './convert.js';
it('scratch', () => {
  for (const [f, mode] of [['sshd', undefined], ['sshd', 'aggressive'], ['postfix', undefined], ['dovecot', undefined], ['nginx-http-auth', undefined], ['apache-auth', undefined]] as const) {
    const r = importFail2banFilter(`/etc/fail2ban/filter.d/${f}.conf`, mode ? { mode } : {});
    console.log(`==== ${f} ${mode ?? ''}\n` + (r.ok ? r.value.yaml : JSON.stringify(r.errors, null, 1)));
  }
});
