/**
 * Request schemas of remote consoles (Nova's schemas/remote_consoles.py): the
 * pre-2.6 os-get*Console actions, and POST /servers/{id}/remote-consoles at
 * 2.6 (2.8 adds the mks protocol and webmks type).
 */
function legacyAction(action: string, types: string[]) {
  return {
    type: 'object',
    properties: {
      [action]: {
        type: 'object',
        properties: { type: { type: 'string', enum: types } },
        required: ['type'],
        additionalProperties: false,
      },
    },
    required: [action],
    additionalProperties: false,
  };
}

export const getVncConsoleSchema = legacyAction('os-getVNCConsole', ['novnc', 'xvpvnc']);
export const getSpiceConsoleSchema = legacyAction('os-getSPICEConsole', ['spice-html5']);
export const getRdpConsoleSchema = legacyAction('os-getRDPConsole', ['rdp-html5']);
export const getSerialConsoleSchema = legacyAction('os-getSerialConsole', ['serial']);

function remoteConsole(protocols: string[], types: string[]) {
  return {
    type: 'object',
    properties: {
      remote_console: {
        type: 'object',
        properties: { protocol: { type: 'string', enum: protocols }, type: { type: 'string', enum: types } },
        required: ['protocol', 'type'],
        additionalProperties: false,
      },
    },
    required: ['remote_console'],
    additionalProperties: false,
  };
}

export const remoteConsoleV26Schema = remoteConsole(['vnc', 'spice', 'rdp', 'serial'], ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial']);
export const remoteConsoleV28Schema = remoteConsole(['vnc', 'spice', 'rdp', 'serial', 'mks'], ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial', 'webmks']);
