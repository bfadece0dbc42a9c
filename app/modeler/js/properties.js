// The properties panel's groups for what the engine reads from our extension elements: a user
// task's form, candidate groups and due/follow-up dates; a service task's operation, parameters
// and result variable; message names and correlation keys; timer, condition and script
// expressions. Written against @bpmn-io/properties-panel's entry components (preact, no JSX).

import { createElement as h } from '@bpmn-io/properties-panel/preact';
import { useEffect, useState } from '@bpmn-io/properties-panel/preact/hooks';
import {
  Group,
  ListGroup,
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

const PRIORITY = 500;
const UPDATE = 'element.updateModdleProperties';
const MULTI = 'properties-panel.multi-command-executor';
const PARAMETER_TYPES = [ 'str', 'int', 'float', 'bool', 'list', 'dict', 'any' ];
const TIMER_KINDS = [ 'timeDate', 'timeDuration', 'timeCycle' ];

// Lists the app serves (forms in forms/, operations of the adapters), fetched once per page.
const choices = { forms: [], operations: [], texts: {} };
const listeners = new Set();

export function setChoices(values) {
  Object.assign(choices, values);
  listeners.forEach((listener) => listener());
}

function useChoices() {
  const [ , setTick ] = useState(0);
  useEffect(() => {
    const listener = () => setTick((tick) => tick + 1);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return choices;
}

const t = (key) => choices.texts[key] || key;

// --- reading and writing the extension elements ---------------------------------------------

function extensionValues(bo) {
  const extensions = bo.get('extensionElements');
  return extensions ? extensions.get('values') : [];
}

function findExtension(bo, type) {
  return extensionValues(bo).find((value) => is(value, type));
}

export function spiffProperty(bo, name) {
  const properties = findExtension(bo, 'spiffworkflow:Properties');
  const found = properties && properties.get('properties').find((p) => p.name === name);
  return found ? found.value || '' : '';
}

const update = (element, moddleElement, properties) =>
  ({ cmd: UPDATE, context: { element, moddleElement, properties } });

// The extension element of ``type`` on the element, created (as commands) when missing.
function ensureExtension(element, type, moddle, commands, attrs = {}) {
  const bo = getBusinessObject(element);
  let extensions = bo.get('extensionElements');
  if (!extensions) {
    extensions = moddle.create('bpmn:ExtensionElements', { values: [] });
    extensions.$parent = bo;
    commands.push(update(element, bo, { extensionElements: extensions }));
  }
  let found = extensions.get('values').find((value) => is(value, type));
  if (!found) {
    found = moddle.create(type, attrs);
    found.$parent = extensions;
    commands.push(update(element, extensions, { values: [ ...extensions.get('values'), found ] }));
  }
  return found;
}

function setSpiffProperty(element, name, value, moddle, commandStack) {
  const commands = [];
  const properties = ensureExtension(element, 'spiffworkflow:Properties', moddle, commands);
  const list = properties.get('properties');
  const existing = list.find((p) => p.name === name);
  const trimmed = (value || '').trim();
  if (!trimmed) {
    if (existing) {
      commands.push(update(element, properties, { properties: list.filter((p) => p !== existing) }));
    }
  } else if (existing) {
    commands.push(update(element, existing, { value: trimmed }));
  } else {
    const created = moddle.create('spiffworkflow:Property', { name, value: trimmed });
    created.$parent = properties;
    commands.push(update(element, properties, { properties: [ ...list, created ] }));
  }
  if (commands.length) {
    commandStack.execute(MULTI, commands);
  }
}

function operatorOf(element) {
  return findExtension(getBusinessObject(element), 'spiffworkflow:ServiceTaskOperator');
}

function ensureParameters(element, moddle, commands) {
  const operator = ensureExtension(element, 'spiffworkflow:ServiceTaskOperator', moddle, commands);
  let parameters = operator.get('parameterList');
  if (!parameters) {
    parameters = moddle.create('spiffworkflow:Parameters', { parameters: [] });
    parameters.$parent = operator;
    commands.push(update(element, operator, { parameterList: parameters }));
  }
  return parameters;
}

// --- entries ----------------------------------------------------------------------------------

function PropertyField(props) {
  const { element, id, name, label, description } = props;
  const moddle = useService('moddle');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, label, description, debounce,
    getValue: () => spiffProperty(getBusinessObject(element), name),
    setValue: (value) => setSpiffProperty(element, name, value, moddle, commandStack)
  });
}

function FormSelect(props) {
  const { element, id } = props;
  const moddle = useService('moddle');
  const commandStack = useService('commandStack');
  const { forms } = useChoices();
  const getOptions = () => {
    const current = spiffProperty(getBusinessObject(element), 'formJsonSchemaFilename');
    const options = [ { value: '', label: t('noForm') },
      ...forms.map((form) => ({ value: form.name, label: `${form.title} (${form.name})` })) ];
    if (current && !forms.some((form) => form.name === current)) {
      options.push({ value: current, label: current });
    }
    return options;
  };
  return h(SelectEntry, {
    element, id, label: t('form'), getOptions,
    getValue: () => spiffProperty(getBusinessObject(element), 'formJsonSchemaFilename'),
    setValue: (value) => setSpiffProperty(element, 'formJsonSchemaFilename', value, moddle,
      commandStack)
  });
}

function OperationSelect(props) {
  const { element, id } = props;
  const moddle = useService('moddle');
  const commandStack = useService('commandStack');
  const { operations } = useChoices();
  const getValue = () => (operatorOf(element) && operatorOf(element).get('id')) || '';
  const getOptions = () => {
    const options = [ { value: '', label: t('noOperation') },
      ...operations.map((op) => ({ value: op.name, label: op.name })) ];
    const current = getValue();
    if (current && !operations.some((op) => op.name === current)) {
      options.push({ value: current, label: current });
    }
    return options;
  };
  const described = operations.find((op) => op.name === getValue());
  return h(SelectEntry, {
    element, id, label: t('operation'), getOptions, getValue,
    description: described ? described.description : '',
    setValue: (value) => {
      const commands = [];
      const operator = ensureExtension(element, 'spiffworkflow:ServiceTaskOperator', moddle, commands);
      commands.push(update(element, operator, { id: value || undefined }));
      commandStack.execute(MULTI, commands);
    }
  });
}

function ResultVariable(props) {
  const { element, id } = props;
  const moddle = useService('moddle');
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, label: t('resultVariable'), debounce,
    getValue: () => (operatorOf(element) && operatorOf(element).get('resultVariable')) || '',
    setValue: (value) => {
      const commands = [];
      const operator = ensureExtension(element, 'spiffworkflow:ServiceTaskOperator', moddle, commands);
      commands.push(update(element, operator, { resultVariable: (value || '').trim() || undefined }));
      commandStack.execute(MULTI, commands);
    }
  });
}

function ParameterField(props) {
  const { element, id, parameter, attribute, label } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  return h(TextFieldEntry, {
    element, id, label, debounce,
    getValue: () => parameter.get(attribute) || '',
    setValue: (value) => commandStack.execute(UPDATE,
      { element, moddleElement: parameter, properties: { [attribute]: value } })
  });
}

function ParameterType(props) {
  const { element, id, parameter } = props;
  const commandStack = useService('commandStack');
  return h(SelectEntry, {
    element, id, label: t('parameterType'),
    getOptions: () => PARAMETER_TYPES.map((type) => ({ value: type, label: type })),
    getValue: () => parameter.get('type') || 'str',
    setValue: (value) => commandStack.execute(UPDATE,
      { element, moddleElement: parameter, properties: { type: value } })
  });
}

function parameterItems(element, injector) {
  const operator = operatorOf(element);
  const list = operator && operator.get('parameterList');
  const parameters = list ? list.get('parameters') : [];
  const commandStack = injector.get('commandStack');
  return parameters.map((parameter, index) => {
    const prefix = `${element.id}-parameter-${index}`;
    return {
      id: prefix,
      label: parameter.get('id') || '—',
      autoFocusEntry: `${prefix}-id`,
      entries: [
        { id: `${prefix}-id`, component: ParameterField, parameter, attribute: 'id',
          label: t('parameterId'), isEdited: isTextFieldEntryEdited },
        { id: `${prefix}-type`, component: ParameterType, parameter, isEdited: isSelectEntryEdited },
        { id: `${prefix}-value`, component: ParameterField, parameter, attribute: 'value',
          label: t('parameterValue'), isEdited: isTextFieldEntryEdited }
      ],
      remove: () => commandStack.execute(UPDATE, {
        element, moddleElement: list,
        properties: { parameters: list.get('parameters').filter((p) => p !== parameter) }
      })
    };
  });
}

function addParameter(element, injector) {
  const moddle = injector.get('moddle');
  const commands = [];
  const list = ensureParameters(element, moddle, commands);
  const taken = new Set(list.get('parameters').map((p) => p.get('id')));
  let number = list.get('parameters').length + 1;
  while (taken.has(`parameter_${number}`)) {
    number += 1;
  }
  const parameter = moddle.create('spiffworkflow:Parameter',
    { id: `parameter_${number}`, type: 'str', value: '' });
  parameter.$parent = list;
  commands.push(update(element, list, { parameters: [ ...list.get('parameters'), parameter ] }));
  injector.get('commandStack').execute(MULTI, commands);
}

// Timers: which of date, duration or cycle, and its expression (evaluated by the engine as
// Python, so a literal duration needs its quotes).
function timerDefinitionOf(element) {
  const bo = getBusinessObject(element);
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
}

function timerKind(definition) {
  return TIMER_KINDS.find((kind) => definition.get(kind)) || '';
}

function TimerKind(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const moddle = useService('moddle');
  const definition = timerDefinitionOf(element);
  return h(SelectEntry, {
    element, id, label: t('timerType'),
    getOptions: () => [ { value: '', label: '—' },
      ...TIMER_KINDS.map((kind) => ({ value: kind, label: t(kind) })) ],
    getValue: () => timerKind(definition),
    setValue: (kind) => {
      const current = timerKind(definition);
      if (kind === current) {
        return;
      }
      const previous = current ? definition.get(current) : null;
      const properties = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
      if (kind) {
        const expression = moddle.create('bpmn:FormalExpression',
          { body: previous ? previous.get('body') : undefined });
        expression.$parent = definition;
        properties[kind] = expression;
      }
      commandStack.execute(UPDATE, { element, moddleElement: definition, properties });
    }
  });
}

function TimerExpression(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const definition = timerDefinitionOf(element);
  const kind = timerKind(definition);
  return h(TextFieldEntry, {
    element, id, label: t('timerExpression'), description: t('timerHelp'), debounce,
    getValue: () => (kind && definition.get(kind).get('body')) || '',
    setValue: (value) => commandStack.execute(UPDATE,
      { element, moddleElement: definition.get(kind), properties: { body: value } })
  });
}

// Messages: the name the engine delivers by, and a correlation key expression (a BPMN
// correlation property retrieving the key from the message's payload).
function messageHolder(element) {
  const bo = getBusinessObject(element);
  if (is(bo, 'bpmn:ReceiveTask') || is(bo, 'bpmn:SendTask')) {
    return bo;
  }
  return (bo.get('eventDefinitions') || []).find((d) => is(d, 'bpmn:MessageEventDefinition'));
}

function definitionsOf(element) {
  let node = getBusinessObject(element);
  while (node && !is(node, 'bpmn:Definitions')) {
    node = node.$parent;
  }
  return node;
}

function MessageName(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const moddle = useService('moddle');
  const debounce = useService('debounceInput');
  const holder = messageHolder(element);
  return h(TextFieldEntry, {
    element, id, label: t('messageName'), debounce,
    getValue: () => (holder.get('messageRef') && holder.get('messageRef').get('name')) || '',
    setValue: (value) => {
      const name = (value || '').trim();
      const definitions = definitionsOf(element);
      const roots = definitions.get('rootElements');
      const sameName = roots.find((root) => is(root, 'bpmn:Message') && root.get('name') === name);
      if (!name) {
        commandStack.execute(UPDATE, { element, moddleElement: holder, properties: { messageRef: undefined } });
        return;
      }
      if (sameName) {
        commandStack.execute(UPDATE, { element, moddleElement: holder, properties: { messageRef: sameName } });
        return;
      }
      const current = holder.get('messageRef');
      if (current) {
        commandStack.execute(UPDATE, { element, moddleElement: current, properties: { name } });
        return;
      }
      const message = moddle.create('bpmn:Message',
        { id: `Message_${name.replace(/[^A-Za-z0-9_]/g, '_')}`, name });
      message.$parent = definitions;
      commandStack.execute(MULTI, [
        update(element, definitions, { rootElements: [ ...roots, message ] }),
        update(element, holder, { messageRef: message })
      ]);
    }
  });
}

function correlationOf(definitions, message) {
  for (const root of definitions.get('rootElements')) {
    if (!is(root, 'bpmn:CorrelationProperty')) {
      continue;
    }
    const retrieval = root.get('correlationPropertyRetrievalExpression')
      .find((r) => r.get('messageRef') === message);
    if (retrieval) {
      return { property: root, retrieval };
    }
  }
  return null;
}

function CorrelationKey(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const moddle = useService('moddle');
  const debounce = useService('debounceInput');
  const holder = messageHolder(element);
  const message = holder.get('messageRef');
  return h(TextFieldEntry, {
    element, id, label: t('correlationKey'), description: t('correlationHelp'), debounce,
    disabled: !message,
    getValue: () => {
      const found = message && correlationOf(definitionsOf(element), message);
      return (found && found.retrieval.get('messagePath') && found.retrieval.get('messagePath').get('body')) || '';
    },
    setValue: (value) => {
      const definitions = definitionsOf(element);
      const found = correlationOf(definitions, message);
      const body = (value || '').trim();
      if (found && !body) {
        commandStack.execute(UPDATE, { element, moddleElement: definitions, properties: {
          rootElements: definitions.get('rootElements').filter((r) => r !== found.property) } });
      } else if (found) {
        const path = moddle.create('bpmn:FormalExpression', { body });
        path.$parent = found.retrieval;
        commandStack.execute(UPDATE, { element, moddleElement: found.retrieval, properties: { messagePath: path } });
      } else if (body) {
        const path = moddle.create('bpmn:FormalExpression', { body });
        const retrieval = moddle.create('bpmn:CorrelationPropertyRetrievalExpression',
          { messageRef: message, messagePath: path });
        const property = moddle.create('bpmn:CorrelationProperty',
          { id: `${message.get('id')}_correlation`, name: `${message.get('name') || message.get('id')} key`,
            correlationPropertyRetrievalExpression: [ retrieval ] });
        path.$parent = retrieval;
        retrieval.$parent = property;
        property.$parent = definitions;
        commandStack.execute(UPDATE, { element, moddleElement: definitions,
          properties: { rootElements: [ ...definitions.get('rootElements'), property ] } });
      }
    }
  });
}

function ConditionExpression(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const moddle = useService('moddle');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return h(TextFieldEntry, {
    element, id, label: t('condition'), description: t('expressionHelp'), debounce,
    getValue: () => (bo.get('conditionExpression') && bo.get('conditionExpression').get('body')) || '',
    setValue: (value) => {
      const body = (value || '').trim();
      let expression;
      if (body) {
        expression = moddle.create('bpmn:FormalExpression', { body });
        expression.$parent = bo;
      }
      commandStack.execute(UPDATE, { element, moddleElement: bo, properties: { conditionExpression: expression } });
    }
  });
}

function ScriptText(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return h(TextAreaEntry, {
    element, id, label: t('script'), debounce, rows: 8, monospace: true,
    getValue: () => bo.get('script') || '',
    setValue: (value) => commandStack.execute(UPDATE,
      { element, moddleElement: bo, properties: { script: value, scriptFormat: 'python' } })
  });
}

// --- groups -----------------------------------------------------------------------------------

function groupsFor(element, injector) {
  const bo = getBusinessObject(element);
  const groups = [];
  if (is(bo, 'bpmn:UserTask')) {
    groups.push({ id: 'spiff-task', label: t('groupTask'), component: Group, entries: [
      { id: 'spiff-form', component: FormSelect, isEdited: isSelectEntryEdited },
      { id: 'spiff-candidate-groups', component: PropertyField, name: 'candidateGroups',
        label: t('candidateGroups'), description: t('candidateGroupsHelp'), isEdited: isTextFieldEntryEdited },
      { id: 'spiff-due-date', component: PropertyField, name: 'dueDate', label: t('dueDate'),
        description: t('expressionHelp'), isEdited: isTextFieldEntryEdited },
      { id: 'spiff-follow-up-date', component: PropertyField, name: 'followUpDate',
        label: t('followUpDate'), isEdited: isTextFieldEntryEdited }
    ] });
  }
  if (is(bo, 'bpmn:ServiceTask')) {
    groups.push({ id: 'spiff-service', label: t('groupService'), component: Group, entries: [
      { id: 'spiff-operation', component: OperationSelect, isEdited: isSelectEntryEdited },
      { id: 'spiff-result-variable', component: ResultVariable, isEdited: isTextFieldEntryEdited }
    ] });
    groups.push({ id: 'spiff-parameters', label: t('groupParameters'), component: ListGroup,
      items: parameterItems(element, injector), add: (event) => {
        event.stopPropagation();
        addParameter(element, injector);
      } });
  }
  if (timerDefinitionOf(element)) {
    const entries = [ { id: 'spiff-timer-kind', component: TimerKind, isEdited: isSelectEntryEdited } ];
    if (timerKind(timerDefinitionOf(element))) {
      entries.push({ id: 'spiff-timer-expression', component: TimerExpression, isEdited: isTextFieldEntryEdited });
    }
    groups.push({ id: 'spiff-timer', label: t('groupTimer'), component: Group, entries });
  }
  if (messageHolder(element)) {
    groups.push({ id: 'spiff-message', label: t('groupMessage'), component: Group, entries: [
      { id: 'spiff-message-name', component: MessageName, isEdited: isTextFieldEntryEdited },
      { id: 'spiff-correlation-key', component: CorrelationKey, isEdited: isTextFieldEntryEdited }
    ] });
  }
  if (is(bo, 'bpmn:SequenceFlow') && bo.get('sourceRef') &&
      (is(bo.get('sourceRef'), 'bpmn:ExclusiveGateway') || is(bo.get('sourceRef'), 'bpmn:InclusiveGateway'))) {
    groups.push({ id: 'spiff-condition', label: t('groupCondition'), component: Group, entries: [
      { id: 'spiff-condition-expression', component: ConditionExpression, isEdited: isTextFieldEntryEdited }
    ] });
  }
  if (is(bo, 'bpmn:ScriptTask')) {
    groups.push({ id: 'spiff-script', label: t('groupScript'), component: Group, entries: [
      { id: 'spiff-script-text', component: ScriptText, isEdited: isTextAreaEntryEdited }
    ] });
  }
  return groups;
}

class SpiffPropertiesProvider {
  constructor(propertiesPanel, injector) {
    this._injector = injector;
    propertiesPanel.registerProvider(PRIORITY, this);
  }

  getGroups(element) {
    return (groups) => {
      // Our timer and message groups replace the generic ones: they know how the engine reads them.
      const kept = groups.filter((group) => group.id !== 'timer' && group.id !== 'message');
      const general = kept.findIndex((group) => group.id === 'general');
      kept.splice(general + 1, 0, ...groupsFor(element, this._injector));
      return kept;
    };
  }
}

SpiffPropertiesProvider.$inject = [ 'propertiesPanel', 'injector' ];

export default {
  __init__: [ 'spiffPropertiesProvider' ],
  spiffPropertiesProvider: [ 'type', SpiffPropertiesProvider ]
};
