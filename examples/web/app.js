// The web inbox: plain DOM on top of the ipts browser bundle (dist/web/ipts.js, served as /ipts.js).
// Every text that comes from the network is put in the page with textContent, never as HTML.
import { openWebClient, listReceipts } from './ipts.js'

// the bundle is loaded and evaluated by now (module imports run first)
performance.mark('ipts:bundle-loaded')

const $ = (id) => document.getElementById(id)
const short = (peer) => { const t = String(peer); return t.length > 16 ? `${t.slice(0, 8)}…${t.slice(-8)}` : t }
const status = (text, error = false) => { $('status').textContent = text; $('status').className = error ? 'error' : 'muted' }

/** messages shown, keyed by `<from>/<seq>` */
const shown = new Map()
let web

function cell (row, text, className) {
  const td = document.createElement('td')
  td.textContent = text
  if (className != null) td.className = className
  row.append(td)
  return td
}

function describe (m) {
  if (m.text != null) return m.text
  if (m.name != null) return `file ${m.name} (${m.data?.byteLength ?? 0} bytes)`
  if (m.cid != null) return `content ${m.cid}`
  return m.value
}

function showMessage (m) {
  const key = `${m.from.toString()}/${m.seq}`
  if (shown.has(key)) return
  const row = document.createElement('tr')
  row.dataset.from = m.from.toString()
  row.dataset.seq = String(m.seq)
  cell(row, short(m.from), 'peer').title = m.from.toString()
  cell(row, m.at != null ? m.at.toLocaleString() : '')
  cell(row, describe(m), 'text')
  const button = document.createElement('button')
  button.textContent = 'Acknowledge'
  button.addEventListener('click', () => { acknowledge([m]).catch(() => {}) })
  row.append(document.createElement('td'))
  row.lastChild.append(button)
  $('inbox').append(row)
  shown.set(key, { message: m, row })
  $('inbox').dataset.count = String(shown.size)
}

async function acknowledge (messages) {
  const pending = messages.filter(m => !shown.get(`${m.from.toString()}/${m.seq}`)?.acked)
  if (pending.length === 0) return
  $('ack-status').dataset.state = 'working'
  $('ack-status').textContent = `acknowledging ${pending.length} message(s)…`
  try {
    let relays = 0
    await web.client.ack(pending, { onProgress: (evt) => { if (evt.type === 'ack:applied') relays++ } })
    for (const m of pending) {
      const entry = shown.get(`${m.from.toString()}/${m.seq}`)
      entry.acked = true
      entry.row.classList.add('acked')
      entry.row.lastChild.textContent = 'acknowledged'
    }
    $('ack-status').textContent = `acknowledged ${pending.length} message(s): ${relays} relay(s) deleted them, senders get receipts`
    $('ack-status').dataset.state = 'done'
  } catch (err) {
    $('ack-status').textContent = `acknowledgement failed: ${err.message}`
    $('ack-status').dataset.state = 'failed'
    throw err
  }
}

async function showReceipts () {
  const receipts = listReceipts(await web.store.state.read())
  const body = $('receipts')
  body.replaceChildren()
  for (const r of receipts) {
    const row = document.createElement('tr')
    row.dataset.from = r.from.toString()
    row.dataset.seq = String(r.seq)
    cell(row, short(r.from), 'peer').title = r.from.toString()
    cell(row, String(r.seq))
    cell(row, r.at.toLocaleString())
    body.append(row)
  }
  body.dataset.count = String(receipts.length)
}

async function readInbox () {
  $('inbox').dataset.state = 'loading'
  const onProgress = (evt) => {
    if (evt.type === 'inbox:caught-up') {
      $('inbox').dataset.state = 'shown'
      performance.mark('ipts:inbox-shown')
      status(`${shown.size} message(s) from ${evt.detail.drained} relay(s); watching for new ones`)
      showReceipts().catch(() => {})
    }
    if (evt.type === 'inbox:relay-failed') status(`relay ${short(evt.detail.relay)} failed: ${evt.detail.error.message}`, true)
  }
  try {
    for await (const m of web.client.inbox({ watch: true, onProgress })) showMessage(m)
  } catch (err) {
    $('inbox').dataset.state = 'failed'
    status(`inbox: ${err.message}`, true)
  }
}

$('send-form').addEventListener('submit', (e) => {
  e.preventDefault()
  const to = $('to').value.trim()
  const text = $('text').value
  const log = $('send-log')
  log.replaceChildren()
  $('send-result').dataset.state = 'sending'
  $('send-result').textContent = 'sending…'
  const note = (line) => { const li = document.createElement('li'); li.textContent = line; log.append(li) }
  web.client.send(to, { text }, {
    onProgress: (evt) => {
      if (evt.type === 'custody:confirmed') note(`held by relay ${short(evt.detail.relay)} (${evt.detail.confirmed} of ${evt.detail.needed})`)
      if (evt.type === 'custody:refused') note(`relay ${short(evt.detail.relay)} refused: ${evt.detail.reason}`)
    }
  }).then((result) => {
    $('send-result').dataset.state = 'sent'
    $('send-result').dataset.seq = String(result.seq)
    $('send-result').textContent = `message ${result.seq} to ${short(result.to)} is held by ${result.relays.length} relay(s); you may close this page`
    $('text').value = ''
  }, (err) => {
    $('send-result').dataset.state = 'failed'
    $('send-result').textContent = `not sent: ${err.message}`
  })
})

$('ack-all').addEventListener('click', () => { acknowledge([...shown.values()].map(e => e.message)).catch(() => {}) })
$('check-receipts').addEventListener('click', () => {
  web.client.receipts().then(showReceipts, (err) => status(`receipts: ${err.message}`, true))
})
$('export-key').addEventListener('click', async () => {
  const bytes = await web.store.exportIdentity()
  const link = document.createElement('a')
  link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }))
  link.download = 'identity.key'
  link.click()
  URL.revokeObjectURL(link.href)
})
$('import-key').addEventListener('change', async (e) => {
  const file = e.target.files?.[0]
  if (file == null) return
  try {
    const peerId = await web.store.importIdentity(new Uint8Array(await file.arrayBuffer()))
    status(`imported ${short(peerId)}; reloading`)
    await web.stop()
    location.reload()
  } catch (err) {
    status(`import: ${err.message}`, true)
  }
})

async function main () {
  const { relays } = await (await fetch('config.json')).json()
  web = await openWebClient({ relays })
  performance.mark('ipts:client-started')
  $('peer-id').textContent = web.peerId.toString()
  document.body.dataset.peerId = web.peerId.toString()
  status(web.created ? 'created a new key in this browser; reading the inbox…' : 'reading the inbox…')
  web.client.addEventListener('receipt', () => { showReceipts().catch(() => {}) })
  window.ipts = web
  await readInbox()
}

main().catch((err) => { status(`cannot start: ${err.message}`, true); document.body.dataset.failed = err.message })
