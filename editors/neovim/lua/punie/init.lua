-- punie-lsp client helpers: setup, :PunieAsk with a streamed answer in a floating window.
local M = {}

M.state = { model = 'unknown', model_message = '' } -- read by :checkhealth punie

local answering = {} -- progress tokens of punie.ask answers -> true

local function config(opts)
  local base = dofile(vim.api.nvim_get_runtime_file('lsp/punie.lua', false)[1])
  if opts.cmd then
    base.cmd = opts.cmd
  end
  if opts.settings then
    base.settings = { punie = opts.settings }
    base.init_options = opts.settings
  end
  return base
end

--- Start punie-lsp for Python buffers. opts: { cmd = {...}, settings = { ... } }.
function M.setup(opts)
  opts = opts or {}
  local cfg = config(opts)
  if vim.lsp.config and vim.lsp.enable then -- Neovim 0.11+
    vim.lsp.config('punie', cfg)
    vim.lsp.enable('punie')
  else -- Neovim 0.10
    vim.api.nvim_create_autocmd('FileType', {
      pattern = 'python',
      callback = function(ev)
        local root = vim.fs.root(ev.buf, cfg.root_markers) or vim.fn.getcwd()
        vim.lsp.start(vim.tbl_extend('force', cfg, { name = 'punie', root_dir = root }))
      end,
    })
  end
end

local function client(bufnr)
  return vim.lsp.get_clients({ name = 'punie', bufnr = bufnr })[1]
end

-- The floating window the answer streams into. It takes the focus, so that q closes it (and
-- does not start recording a macro) and a long answer scrolls; Markdown is concealed.
local function open_float(title)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.bo[buf].filetype = 'markdown'
  local width = math.min(90, math.floor(vim.o.columns * 0.8))
  local win = vim.api.nvim_open_win(buf, true, {
    relative = 'editor', width = width, height = 3, style = 'minimal', border = 'rounded',
    row = 2, col = math.floor((vim.o.columns - width) / 2),
    title = ' ' .. title .. ' ', title_pos = 'center',
  })
  -- Tree-sitter's Markdown (bundled with Neovim) hides the fences and the emphasis marks,
  -- which the regex syntax shows; concealed under the cursor too, as in :help.
  pcall(vim.treesitter.start, buf, 'markdown')
  vim.wo[win].conceallevel = 2
  vim.wo[win].concealcursor = 'nc'
  vim.wo[win].wrap = true
  return buf, win
end

-- The window grows with its text, up to most of the screen; beyond that it scrolls.
local function set_lines(buf, text, win)
  if not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  local lines = vim.split(text, '\n', { plain = true })
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  if win and vim.api.nvim_win_is_valid(win) then
    local most = math.max(3, math.floor(vim.o.lines * 0.8) - 4)
    vim.api.nvim_win_set_height(win, math.min(most, math.max(3, #lines)))
  end
end

-- What the model streams before its snippet runs: its words, or (a Code Mode reply) a line
-- saying a snippet is being written, never the raw tool-call markup.
local function streamed(message)
  if message:find('<tool_call>', 1, true) then
    return '_writing a snippet..._'
  end
  return message
end

local function render(answer)
  local out = { '**' .. answer.question .. '**', '' }
  local output = answer.output ~= vim.NIL and answer.output or ''
  if answer.code and answer.code ~= vim.NIL then
    vim.list_extend(out, { '```python', answer.code, '```', '' })
    if vim.trim(output) ~= vim.trim(answer.answer or '') then -- the answer is the output often
      vim.list_extend(out, { '```', output, '```', '' })
    end
  end
  if answer.error and answer.error ~= vim.NIL then
    table.insert(out, '**Error:** ' .. answer.error)
  end
  table.insert(out, answer.answer or '')
  return table.concat(out, '\n')
end

--- Ask the model a question about the project (optionally about a range of the buffer).
--- Returns the request id; the answer streams into a floating window (q or <C-c> cancels).
function M.ask(question, range)
  local bufnr = vim.api.nvim_get_current_buf()
  local argument = { question = question, uri = vim.uri_from_bufnr(bufnr) }
  if range then
    argument.range = {
      start = { line = range[1] - 1, character = 0 },
      ['end'] = { line = range[2], character = 0 }, -- LSP ranges end before their end
    }
  end
  return M.run(argument, bufnr)
end

--- Send punie.ask with argument ({question, uri?, range?, rule?}) and show the answer: for
--- :PunieAsk and for the model's code actions ("explain", "check types", "run the tests"),
--- which reach here through vim.lsp.commands (plugin/punie.lua).
function M.run(argument, bufnr)
  local c = client(bufnr)
  if not c then
    vim.notify('punie: no punie-lsp client for this buffer', vim.log.levels.ERROR)
    return nil
  end
  local buf, win = open_float('punie')
  M.last = { buf = buf, win = win, text = '', done = false }
  set_lines(buf, '_thinking..._', win)
  local ok, request_id = c:request('workspace/executeCommand', {
    command = 'punie.ask', arguments = { argument },
  }, function(err, result)
    M.last.done = true
    if err then
      M.last.text = 'punie: ' .. (err.message or vim.inspect(err))
    else
      M.last.answer = result
      M.last.text = render(result)
    end
    set_lines(buf, M.last.text, win)
  end, bufnr)
  local function cancel()
    if ok and not M.last.done then
      c:cancel_request(request_id)
    end
    if vim.api.nvim_win_is_valid(win) then
      vim.api.nvim_win_close(win, true)
    end
  end
  for _, key in ipairs({ 'q', '<C-c>' }) do
    vim.keymap.set('n', key, cancel, { buffer = buf, nowait = true })
  end
  M.last.cancel = cancel
  return ok and request_id or nil
end

--- Clear the model's findings (the punie diagnostics) from every file.
function M.clear_findings()
  local c = client(vim.api.nvim_get_current_buf()) or vim.lsp.get_clients({ name = 'punie' })[1]
  if not c then
    vim.notify('punie: punie-lsp is not running', vim.log.levels.ERROR)
    return
  end
  c:request('workspace/executeCommand', { command = 'punie.clearFindings', arguments = {} }, function() end)
end

--- The server's punie/status notification: the model's state in its own words.
function M.on_status(params)
  if type(params) == 'table' and type(params.model) == 'string' then
    M.state.model, M.state.model_message = params.model, params.message or ''
  end
end

--- Stream the answer (and the model's loading state) from work-done progress: called by the
--- LspProgress autocmd of plugin/punie.lua, which runs whichever way the client was started.
function M.on_progress(ev)
  local params = ev.data and ev.data.params or {}
  local value = params.value or {}
  local c = vim.lsp.get_client_by_id(ev.data.client_id)
  if not c or c.name ~= 'punie' then
    return
  end
  if value.kind == 'begin' then
    if (value.title or ''):match('answering') then
      answering[params.token] = true
    elseif (value.title or ''):match('loading') then
      M.state.model = 'loading'
    end
  elseif value.kind == 'report' and answering[params.token] then
    if M.last and not M.last.done then
      set_lines(M.last.buf, streamed(value.message or ''), M.last.win)
    end
  elseif value.kind == 'report' and M.state.model == 'loading' then
    M.state.model_message = value.message or ''
  elseif value.kind == 'end' then
    if answering[params.token] then
      answering[params.token] = nil
    elseif (value.message or ''):match('^ready') then
      M.state.model, M.state.model_message = 'ready', value.message
    elseif M.state.model == 'loading' then
      M.state.model, M.state.model_message = 'error', value.message or ''
    end
  end
end

return M
