// enc_unknown: setEncoding('klingon') throws ERR_UNKNOWN_ENCODING and changes nothing:
// readableEncoding stays null and 'data' keeps giving bytes.
module.exports = (t) => {
  t.feed('klingon', [
    Buffer.from('abc', 'latin1'),
    Buffer.from('def', 'latin1'),
  ]);
};
