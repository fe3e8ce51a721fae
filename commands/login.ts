import type { CommandModule } from 'yargs';
import { withGlobalOptions } from './common.js';
import type { LoginArgs } from './login-run.js';


export const loginCommand: CommandModule<object, LoginArgs> = {
  command: 'login <vendor>',
  describe: 'Log in to a vendor that needs a person at a browser once (CareLink), and save the login for the bridge',
  builder: (y) =>
    withGlobalOptions(y)
      .positional('vendor', { type: 'string', choices: ['carelink', 'minimedcarelink'], describe: 'The vendor to log in to', demandOption: true })
      .option('import', { type: 'string', describe: 'Import an Auth0-era logindata.json (access_token, refresh_token, client_id, token_url) instead of logging in' })
      .option('code', { type: 'string', describe: 'The redirect address (or the code) from the browser, instead of pasting it when asked' })
      .option('bridge', { type: 'string', describe: 'With several CareLink bridges in a config file: the one to log in' })
      .option('browser', { type: 'boolean', default: true, describe: 'Open the login page in a browser when there is one (--no-browser: only print it)' })
      .example('CONNECT_CARELINK_REGION=eu $0 login carelink', 'Log in interactively: open the printed link, paste the final address back')
      .example('$0 login carelink --import ~/carelink/logindata.json', 'Take over the login another Auth0-era CareLink client saved')
      .example('$0 login carelink --config bridges.yaml --bridge mum', 'Log in the CareLink bridge "mum" of a config file'),
  // Loaded on use: the CareLink login code costs every other command ~0.25 s of CPU at start-up.
  handler: async (args) => (await import('./login-run.js')).runLogin(args),
};
