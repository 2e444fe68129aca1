// enc_base64url_split: setEncoding('base64url'): as base64 with '-' and '_', and no
// padding at the end.
module.exports = (t) => {
  t.feed('base64url', [
    Buffer.from('\xfb\xff\xbf\xfe', 'latin1'),
    Buffer.from('\xff', 'latin1'),
  ]);
};
