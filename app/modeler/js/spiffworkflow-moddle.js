// The spiffworkflow extension elements the engine reads (SpiffWorkflow 3.2's spiff parser), as a
// moddle descriptor, so bpmn-js reads, edits and writes them instead of treating them as opaque
// XML. Elements of the namespace that are not described here would be dropped on import, so
// every element the spiff parser knows is listed, even those the panel does not edit.

const attr = (name) => ({ name, isAttr: true, type: 'String' });
const body = { name: 'value', isBody: true, type: 'String' };
const text = (name) => ({ name, superClass: [ 'Element' ], properties: [ body ] });

export default {
  name: 'SpiffWorkflow',
  uri: 'http://spiffworkflow.org/bpmn/schema/1.0/core',
  prefix: 'spiffworkflow',
  xml: { tagAlias: 'lowerCase' },
  associations: [],
  types: [
    // <spiffworkflow:properties><spiffworkflow:property name="…" value="…"/></…>:
    // formJsonSchemaFilename, candidateGroups, dueDate, followUpDate on user tasks.
    {
      name: 'Properties',
      superClass: [ 'Element' ],
      properties: [ { name: 'properties', type: 'Property', isMany: true } ]
    },
    { name: 'Property', superClass: [ 'Element' ], properties: [ attr('name'), attr('value') ] },
    // <spiffworkflow:serviceTaskOperator id="operation" resultVariable="…">
    //   <spiffworkflow:parameters><spiffworkflow:parameter id="…" type="…" value="…"/></…>
    {
      name: 'ServiceTaskOperator',
      superClass: [ 'Element' ],
      properties: [ attr('id'), attr('resultVariable'),
        { name: 'parameterList', type: 'Parameters' } ]
    },
    {
      name: 'Parameters',
      superClass: [ 'Element' ],
      properties: [ { name: 'parameters', type: 'Parameter', isMany: true } ]
    },
    { name: 'Parameter', superClass: [ 'Element' ], properties: [ attr('id'), attr('type'), attr('value') ] },
    text('CalledDecisionId'),
    text('PreScript'),
    text('PostScript'),
    text('InstructionsForEndUser'),
    text('MessagePayload'),
    text('MessageVariable'),
    text('PayloadExpression'),
    text('VariableName'),
    text('AllowGuest'),
    text('GuestConfirmation'),
    text('SignalButtonLabel'),
    {
      name: 'ProcessVariableCorrelation',
      superClass: [ 'Element' ],
      properties: [ { name: 'propertyId', type: 'PropertyId' }, { name: 'expression', type: 'Expression' } ]
    },
    text('PropertyId'),
    text('Expression')
  ]
};
