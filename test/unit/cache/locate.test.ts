import {expect} from 'chai'

import {cacheRoot, hfHome, tokenPath} from '../../../src/sdk/cache/locate.js'

describe('cache/locate', () => {
  const home = '/home/u'

  it('prefers HF_HUB_CACHE over everything', () => {
    const env = {HF_HOME: '/hf', HF_HUB_CACHE: '/a', HOME: home, HUGGINGFACE_HUB_CACHE: '/b', XDG_CACHE_HOME: '/x'}
    expect(cacheRoot(env)).to.equal('/a')
  })

  it('falls back to the legacy HUGGINGFACE_HUB_CACHE', () => {
    expect(cacheRoot({HF_HOME: '/hf', HOME: home, HUGGINGFACE_HUB_CACHE: '/b'})).to.equal('/b')
  })

  it('uses $HF_HOME/hub, then $XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub', () => {
    expect(cacheRoot({HF_HOME: '/hf', HOME: home, XDG_CACHE_HOME: '/x'})).to.equal('/hf/hub')
    expect(cacheRoot({HOME: home, XDG_CACHE_HOME: '/x'})).to.equal('/x/huggingface/hub')
    expect(cacheRoot({HOME: home})).to.equal('/home/u/.cache/huggingface/hub')
  })

  it('expands ~ in every variable', () => {
    expect(cacheRoot({HF_HUB_CACHE: '~/models', HOME: home})).to.equal('/home/u/models')
    expect(cacheRoot({HF_HOME: '~/hf', HOME: home})).to.equal('/home/u/hf/hub')
    expect(hfHome({HOME: home, XDG_CACHE_HOME: '~/xdg'})).to.equal('/home/u/xdg/huggingface')
    expect(tokenPath({HF_TOKEN_PATH: '~/tok', HOME: home})).to.equal('/home/u/tok')
  })

  it('treats empty variables as unset', () => {
    expect(cacheRoot({HF_HOME: '', HF_HUB_CACHE: '', HOME: home})).to.equal('/home/u/.cache/huggingface/hub')
  })

  it('finds the token file at HF_TOKEN_PATH, else $HF_HOME/token', () => {
    expect(tokenPath({HF_HOME: '/hf', HF_TOKEN_PATH: '/t/token', HOME: home})).to.equal('/t/token')
    expect(tokenPath({HF_HOME: '/hf', HOME: home})).to.equal('/hf/token')
    expect(tokenPath({HOME: home})).to.equal('/home/u/.cache/huggingface/token')
  })

  it('defaults to process.env, which the test harness points into a sandbox', () => {
    expect(cacheRoot()).to.equal(`${process.env.HF_HOME}/hub`)
  })
})
