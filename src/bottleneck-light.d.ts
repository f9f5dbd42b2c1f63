// The light build of bottleneck, the one @octokit/plugin-throttling itself loads, has the
// same API as the full one but ships no types of its own.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
