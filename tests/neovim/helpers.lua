-- Shared by the Neovim tests: start punie on a file, wait, and report through the exit code.
local H = {}

function H.fail(message)
  io.stderr:write('FAIL: ' .. message .. '\n')
  os.exit(1)
end

function H.wait(ms, predicate, what)
  if not vim.wait(ms, predicate, 50) then
    H.fail('timed out waiting for ' .. what)
  end
end

-- Open path with the plugin set up (settings as given) and wait for the client.
function H.open(path, settings)
  require('punie').setup({ settings = settings })
  vim.cmd.edit(path)
  local buf = vim.api.nvim_get_current_buf()
  H.wait(20000, function()
    return #vim.lsp.get_clients({ name = 'punie', bufnr = buf }) > 0
  end, 'the punie client')
  return buf
end

function H.diagnostics_from(buf, source)
  return vim.tbl_filter(function(d)
    return d.source == source
  end, vim.diagnostic.get(buf))
end

return H
