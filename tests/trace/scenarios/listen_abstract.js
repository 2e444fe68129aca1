// listen_abstract: a server on a Linux abstract name ('\0name'); the client writes
// "ping" and ends; the server reads to the end and ends in turn.
module.exports = (t) => {
  t.pair({ path: '@abs', onConnect: (c) => c.end('ping') });
};
