// server_ends_first: the server writes "bye" and ends at once; the client, not
// half-open, reads it, sees 'end' and ends its side in turn.
module.exports = (t) => {
  t.pair({ onConnection: (s) => s.end('bye') });
};
